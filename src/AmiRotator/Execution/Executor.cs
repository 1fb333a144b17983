using Amazon.Runtime;
using AmiRotator.Configuration;
using AmiRotator.Ec2;
using AmiRotator.Planning;
using AmiRotator.Reporting;

namespace AmiRotator.Execution;

/// <summary>
/// Carries out a <see cref="Plan"/>: backups, then copies, then retirements, then the orphan sweep. Every call is
/// idempotent (deterministic names and ClientTokens), one item's failure never stops the others, and no new
/// mutation starts once the time left falls under the safety margin: what is left is reported for the next pass.
/// </summary>
internal sealed class Executor(Settings settings, IEc2Region source, IEc2Region? dr, Func<TimeSpan> timeLeft, Log log)
{
    private readonly Lock gate = new();
    private readonly List<ImageEntry> created = [];
    private readonly List<ImageEntry> copied = [];
    private readonly List<ImageEntry> retired = [];
    private readonly List<SnapshotEntry> deletedSnapshots = [];
    private readonly List<SkipEntry> skipped = [];
    private readonly List<FailureEntry> failures = [];
    private readonly HashSet<string> retiredIds = new(StringComparer.Ordinal);

    public async Task<Outcome> ExecuteAsync(Plan plan, Inventory.Inventory inventory, CancellationToken ct)
    {
        await ForEachAsync(plan.Backups, b => $"{b.InstanceId}", b => source.Region, b => b.InstanceId, "backup", BackupAsync, ct).ConfigureAwait(false);
        if (dr is not null)
        {
            await ForEachAsync(plan.Copies, c => c.SourceImageId, c => c.DestinationRegion, c => c.InstanceId, "copy", CopyAsync, ct).ConfigureAwait(false);
        }

        await ForEachAsync(plan.Retirements, r => r.ImageId, r => r.Region, r => r.InstanceId, "retire", (r, t) => RetireAsync(r, inventory, t), ct).ConfigureAwait(false);
        await ForEachAsync(plan.SnapshotDeletions, s => s.SnapshotId, s => s.Region, s => s.InstanceId, "delete-snapshot", DeleteOrphanAsync, ct).ConfigureAwait(false);

        return new Outcome(
            Sorted(created), Sorted(copied), Sorted(retired),
            [.. deletedSnapshots.OrderBy(s => s.Region, StringComparer.Ordinal).ThenBy(s => s.SnapshotId, StringComparer.Ordinal)],
            [.. skipped], [.. failures]);
    }

    private async Task BackupAsync(BackupAction backup, CancellationToken ct)
    {
        try
        {
            var imageId = await source.CreateImageAsync(backup, ct).ConfigureAwait(false);
            log.Info("backup started", ("instanceId", backup.InstanceId), ("imageId", imageId), ("name", backup.Name), ("reason", backup.Reason));
            Add(created, new ImageEntry(imageId, source.Region, backup.InstanceId, backup.Name, Reasons: [backup.Reason]));
        }
        catch (DuplicateImageNameException)
        {
            // Another pass (a redelivered event, an overlapping manual run) created it first: the backup exists.
            Add(skipped, new SkipEntry(backup.InstanceId, source.Region, backup.InstanceId, $"backup {backup.Name} was created by a concurrent pass"));
        }
    }

    private async Task CopyAsync(CopyAction copy, CancellationToken ct)
    {
        try
        {
            var imageId = await dr!.CopyImageAsync(copy, ct).ConfigureAwait(false);
            log.Info("copy started", ("sourceImageId", copy.SourceImageId), ("imageId", imageId), ("region", copy.DestinationRegion), ("reason", copy.Reason));
            Add(copied, new ImageEntry(imageId, copy.DestinationRegion, copy.InstanceId, copy.Name, copy.SourceImageId, copy.SourceRegion, Reasons: [copy.Reason]));
        }
        catch (DuplicateImageNameException)
        {
            // Retry names are unique per failed copy and racing passes share the ClientToken, so a taken name means
            // an image we did not expect holds it: the backup would never reach the DR Region unless someone looks.
            Add(failures, new FailureEntry(copy.SourceImageId, copy.DestinationRegion, copy.InstanceId, "copy",
                $"an image named {copy.Name} already exists in {copy.DestinationRegion} but is not a copy in progress of {copy.SourceImageId}"));
        }
    }

    private async Task RetireAsync(RetireAction retire, Inventory.Inventory inventory, CancellationToken ct)
    {
        var region = RegionFor(retire.Region);
        var outcomes = await region.DeregisterImageAsync(retire.ImageId, ct).ConfigureAwait(false);
        lock (gate)
        {
            retiredIds.Add(retire.ImageId);
        }

        log.Info("image retired", ("imageId", retire.ImageId), ("region", retire.Region), ("instanceId", retire.InstanceId), ("reasons", retire.Reasons));
        Add(retired, new ImageEntry(retire.ImageId, retire.Region, retire.InstanceId, retire.Name, CreationDate: Iso8601.Seconds(retire.CreationDate), Reasons: retire.Reasons));

        var deletedByEc2 = outcomes.Where(o => o.Deleted).Select(o => o.SnapshotId).ToHashSet(StringComparer.Ordinal);
        foreach (var snapshotId in deletedByEc2.Order(StringComparer.Ordinal))
        {
            Add(deletedSnapshots, new SnapshotEntry(snapshotId, retire.Region, retire.ImageId, retire.InstanceId, "deleted with its image"));
        }

        // EC2 skips snapshots another AMI uses, and may fail some; anything left is deleted here unless another
        // registered image still uses it, so no snapshot is orphaned.
        var leftover = retire.SnapshotIds.Concat(outcomes.Select(o => o.SnapshotId)).Distinct(StringComparer.Ordinal).Where(s => !deletedByEc2.Contains(s)).Order(StringComparer.Ordinal);
        foreach (var snapshotId in leftover)
        {
            var holder = OtherHolder(inventory, retire, snapshotId);
            if (holder is not null)
            {
                Add(skipped, new SkipEntry(snapshotId, retire.Region, retire.InstanceId, $"snapshot kept: still used by {holder}"));
                continue;
            }

            try
            {
                await region.DeleteSnapshotAsync(snapshotId, ct).ConfigureAwait(false);
                Add(deletedSnapshots, new SnapshotEntry(snapshotId, retire.Region, retire.ImageId, retire.InstanceId, "deleted after its image (EC2 did not delete it)"));
            }
            catch (SnapshotInUseException)
            {
                Add(skipped, new SkipEntry(snapshotId, retire.Region, retire.InstanceId, "snapshot kept: a registered image uses it"));
            }
            catch (Exception e) when (e is AmazonServiceException or HttpRequestException)
            {
                Add(failures, new FailureEntry(snapshotId, retire.Region, retire.InstanceId, "delete-snapshot", $"{Describe(e)}; the next pass deletes it as an orphan"));
            }
        }
    }

    private async Task DeleteOrphanAsync(SnapshotDeletion deletion, CancellationToken ct)
    {
        try
        {
            await RegionFor(deletion.Region).DeleteSnapshotAsync(deletion.SnapshotId, ct).ConfigureAwait(false);
            log.Info("orphan snapshot deleted", ("snapshotId", deletion.SnapshotId), ("region", deletion.Region));
            Add(deletedSnapshots, new SnapshotEntry(deletion.SnapshotId, deletion.Region, null, deletion.InstanceId, deletion.Reason));
        }
        catch (SnapshotInUseException)
        {
            Add(skipped, new SkipEntry(deletion.SnapshotId, deletion.Region, deletion.InstanceId, "snapshot kept: a registered image uses it"));
        }
    }

    private string? OtherHolder(Inventory.Inventory inventory, RetireAction retire, string snapshotId)
    {
        var images = retire.Region == inventory.Source.Region ? inventory.Source.Images : inventory.Dr?.Images ?? [];
        lock (gate)
        {
            return images.FirstOrDefault(i => i.ImageId != retire.ImageId && i.HoldsSnapshots && !retiredIds.Contains(i.ImageId) && i.SnapshotIds.Contains(snapshotId))?.ImageId;
        }
    }

    private IEc2Region RegionFor(string region) =>
        region == source.Region ? source : dr is not null && region == dr.Region ? dr : throw new InvalidOperationException($"no client for {region}");

    private async Task ForEachAsync<T>(
        IReadOnlyList<T> items,
        Func<T, string> subject,
        Func<T, string> region,
        Func<T, string?> instanceId,
        string step,
        Func<T, CancellationToken, Task> action,
        CancellationToken ct)
    {
        // ct fires just before the Lambda deadline (see Function): a call still running then is abandoned and
        // reported, so the invocation always answers. Deterministic names and ClientTokens make a call that did
        // reach EC2 harmless to repeat.
        var options = new ParallelOptions { MaxDegreeOfParallelism = settings.Parallelism };
        await Parallel.ForEachAsync(items, options, async (item, _) =>
        {
            var token = ct;
            var left = timeLeft();
            if (left < settings.DeadlineSafetyMargin || token.IsCancellationRequested)
            {
                Add(skipped, new SkipEntry(subject(item), region(item), instanceId(item),
                    $"{step} not started: {left.TotalSeconds:0}s left before the Lambda deadline; the next pass carries on"));
                return;
            }

            try
            {
                await action(item, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                log.Warn($"{step} interrupted by the Lambda deadline", ("subject", subject(item)), ("region", region(item)));
                Add(skipped, new SkipEntry(subject(item), region(item), instanceId(item),
                    $"{step} interrupted by the Lambda deadline; the next pass checks what EC2 did and carries on"));
            }
            catch (Exception e) when (e is AmazonServiceException or HttpRequestException or AmazonClientException or TaskCanceledException)
            {
                log.Error($"{step} failed", ("subject", subject(item)), ("region", region(item)), ("error", Describe(e)));
                Add(failures, new FailureEntry(subject(item), region(item), instanceId(item), step, Describe(e)));
            }
        }).ConfigureAwait(false);
    }

    private static string Describe(Exception e) => e is AmazonServiceException s && s.ErrorCode is { } code ? $"{code}: {s.Message}" : e.Message;

    private void Add<T>(List<T> list, T item)
    {
        lock (gate)
        {
            list.Add(item);
        }
    }

    private static List<ImageEntry> Sorted(List<ImageEntry> entries) =>
        [.. entries.OrderBy(e => e.Region, StringComparer.Ordinal).ThenBy(e => e.InstanceId, StringComparer.Ordinal).ThenBy(e => e.ImageId, StringComparer.Ordinal)];
}

/// <summary>What execution did.</summary>
internal sealed record Outcome(
    IReadOnlyList<ImageEntry> Created,
    IReadOnlyList<ImageEntry> Copied,
    IReadOnlyList<ImageEntry> Retired,
    IReadOnlyList<SnapshotEntry> DeletedSnapshots,
    IReadOnlyList<SkipEntry> Skipped,
    IReadOnlyList<FailureEntry> Failures);
