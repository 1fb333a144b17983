using Amazon.Runtime;
using AmiRotator.Configuration;
using AmiRotator.Ec2;
using AmiRotator.Planning;
using AmiRotator.Reporting;

namespace AmiRotator.Execution;

/// <summary>
/// Carries out a <see cref="Plan"/>: backups, copies, adoptions, retirements, then snapshot deletions. Every call is
/// idempotent (deterministic names and ClientTokens), one item's failure never stops the others, and no new mutation
/// starts once the time left falls under the safety margin: what is left is reported for the next pass. A snapshot is
/// deleted only after EC2 is asked again, right then, whether anything still needs it (<see cref="SnapshotGuard"/>).
/// </summary>
internal sealed partial class Executor(Settings settings, IEc2Region source, IEc2Region? dr, Func<TimeSpan> timeLeft, Log log)
{
    private readonly Lock gate = new();
    private readonly List<ImageEntry> created = [];
    private readonly List<ImageEntry> copied = [];
    private readonly List<ImageEntry> adopted = [];
    private readonly List<SnapshotEntry> locked = [];
    private readonly List<ImageEntry> deprecated = [];
    private readonly List<ImageEntry> retired = [];
    private readonly List<SnapshotEntry> deletedSnapshots = [];
    private readonly List<SkipEntry> skipped = [];
    private readonly List<FailureEntry> failures = [];
    private readonly List<SnapshotDeletion> toDelete = [];
    private readonly List<string> deferred = [];

    public async Task<Outcome> ExecuteAsync(Plan plan, CancellationToken ct)
    {
        await ForEachAsync(plan.Backups, b => $"{b.InstanceId}", b => source.Region, b => b.InstanceId, "backup", BackupAsync, ct).ConfigureAwait(false);
        if (dr is not null)
        {
            await ForEachAsync(plan.Copies, c => c.SourceImageId, c => c.DestinationRegion, c => c.InstanceId, "copy", CopyAsync, ct).ConfigureAwait(false);
            await VerifyCopiesAsync(ct).ConfigureAwait(false);
        }

        await ForEachAsync(plan.Adoptions, a => a.Subject, a => a.Region, a => a.InstanceId, "adopt", AdoptAsync, ct).ConfigureAwait(false);
        await ForEachAsync(plan.Locks ?? [], l => l.SnapshotId, l => l.Region, l => l.InstanceId, "lock-snapshot", LockAsync, ct).ConfigureAwait(false);
        await ForEachAsync(plan.Retirements, r => r.ImageId, r => r.Region, r => r.InstanceId, "retire", RetireAsync, ct).ConfigureAwait(false);
        await ForEachAsync(plan.Deprecations ?? [], d => d.ImageId, d => d.Region, d => d.InstanceId, "deprecate", DeprecateAsync, ct).ConfigureAwait(false);
        toDelete.AddRange(plan.SnapshotDeletions);
        await DeleteSnapshotsAsync(ct).ConfigureAwait(false);

        return new Outcome(
            Sorted(created), Sorted(copied), Sorted(retired),
            [.. deletedSnapshots.OrderBy(s => s.Region, StringComparer.Ordinal).ThenBy(s => s.SnapshotId, StringComparer.Ordinal)],
            [.. skipped], [.. failures], Sorted(adopted), [.. deferred],
            [.. locked.OrderBy(s => s.Region, StringComparer.Ordinal).ThenBy(s => s.SnapshotId, StringComparer.Ordinal)], Sorted(deprecated));
    }

    private async Task LockAsync(LockAction action, CancellationToken ct)
    {
        await RegionFor(action.Region).LockSnapshotAsync(action, ct).ConfigureAwait(false);
        log.Info("snapshot locked", ("snapshotId", action.SnapshotId), ("region", action.Region), ("imageId", action.ImageId), ("mode", action.Mode), ("until", Iso8601.Seconds(action.ExpiresAt)));
        Add(locked, new SnapshotEntry(action.SnapshotId, action.Region, action.ImageId, action.InstanceId, action.Reason));
    }

    private async Task DeprecateAsync(DeprecateAction action, CancellationToken ct)
    {
        await RegionFor(action.Region).DeprecateImageAsync(action, ct).ConfigureAwait(false);
        log.Info("image deprecated", ("imageId", action.ImageId), ("region", action.Region), ("at", Iso8601.Seconds(action.DeprecateAt)));
        Add(deprecated, new ImageEntry(action.ImageId, action.Region, action.InstanceId, Reasons: [action.Reason]));
    }

    private async Task BackupAsync(BackupAction backup, CancellationToken ct)
    {
        try
        {
            var imageId = await source.CreateImageAsync(backup, ct).ConfigureAwait(false);
            log.Info("backup started", ("instanceId", backup.InstanceId), ("imageId", imageId), ("name", backup.Name), ("reason", backup.Reason));
            Add(created, new ImageEntry(imageId, source.Region, backup.InstanceId, backup.Name, Reasons: [backup.Reason]));
        }
        catch (DuplicateImageNameException e) when (e.Holder is { } holder)
        {
            // "Already done" is done only if the holder is this stack's backup of this instance; a name is no proof.
            if (holder.IsManaged && holder.InstanceId == backup.InstanceId && holder.Owner == settings.Owner && !holder.IsCopy)
            {
                Add(skipped, new SkipEntry(holder.ImageId, source.Region, backup.InstanceId,
                    $"backup {backup.Name} already exists as {holder.ImageId} ({holder.State}): made by an earlier attempt of this call whose answer was lost, or by a concurrent pass"));
            }
            else
            {
                Add(failures, new FailureEntry(backup.InstanceId, source.Region, backup.InstanceId, "backup",
                    $"the name {backup.Name} is held by {holder.ImageId}, which is not this stack's backup of {backup.InstanceId}; no backup was made"));
            }
        }
        catch (DuplicateImageNameException)
        {
            // EC2 says the name is taken but its eventually consistent reads do not show the image yet [eventual-consistency].
            Add(skipped, new SkipEntry(backup.InstanceId, source.Region, backup.InstanceId,
                $"backup {backup.Name} already exists (DescribeImages does not show it yet): made by an earlier attempt of this call or by a concurrent pass"));
        }
    }

    private async Task AdoptAsync(AdoptAction adoption, CancellationToken ct)
    {
        await RegionFor(adoption.Region).AdoptAsync(adoption.ResourceIds, adoption.Tags, ct).ConfigureAwait(false);
        log.Info("adopted", ("subject", adoption.Subject), ("region", adoption.Region), ("resources", adoption.ResourceIds), ("reason", adoption.Reason));
        Add(adopted, new ImageEntry(adoption.Subject, adoption.Region, adoption.InstanceId, Reasons: [adoption.Reason]));
    }

    private async Task RetireAsync(RetireAction retire, CancellationToken ct)
    {
        IReadOnlyList<SnapshotOutcome> outcomes;
        try
        {
            outcomes = await RegionFor(retire.Region).DeregisterImageAsync(retire.ImageId, ct).ConfigureAwait(false);
        }
        catch (DeregistrationProtectedException)
        {
            // Protection was switched on after the pass read EC2: the image is pinned now, which is not a failure.
            Add(skipped, new SkipEntry(retire.ImageId, retire.Region, retire.InstanceId, "kept: deregistration protection is enabled"));
            return;
        }

        log.Info("image retired", ("imageId", retire.ImageId), ("region", retire.Region), ("instanceId", retire.InstanceId), ("reasons", retire.Reasons));
        Add(retired, new ImageEntry(retire.ImageId, retire.Region, retire.InstanceId, retire.Name, CreationDate: Iso8601.Seconds(retire.CreationDate), Reasons: retire.Reasons));

        foreach (var outcome in outcomes.OrderBy(o => o.SnapshotId, StringComparer.Ordinal))
        {
            if (outcome.Deleted)
            {
                Add(deletedSnapshots, new SnapshotEntry(outcome.SnapshotId, retire.Region, retire.ImageId, retire.InstanceId, "deleted with its image"));
            }
            else if (outcome.SharedWithAnotherImage)
            {
                // EC2 knows better than the pass's earlier read: another AMI uses it, so it is never deleted here.
                Add(skipped, new SkipEntry(outcome.SnapshotId, retire.Region, retire.InstanceId, "snapshot kept: EC2 reports it associated with another AMI (skipped)"));
            }
        }

        // What EC2 did not delete (missing-permissions, internal-error, client-error, or not reported at all) is deleted
        // here, after the same fresh check as the orphan sweep, so no snapshot is orphaned.
        var settled = outcomes.Where(o => o.Deleted || o.SharedWithAnotherImage).Select(o => o.SnapshotId).ToHashSet(StringComparer.Ordinal);
        foreach (var snapshotId in retire.SnapshotIds.Concat(outcomes.Select(o => o.SnapshotId)).Distinct(StringComparer.Ordinal).Where(s => !settled.Contains(s)).Order(StringComparer.Ordinal))
        {
            lock (gate)
            {
                toDelete.Add(new SnapshotDeletion(snapshotId, retire.Region, retire.InstanceId, $"left behind by {retire.ImageId} (EC2 did not delete it)", retire.Name));
            }
        }
    }

    private async Task DeleteSnapshotsAsync(CancellationToken ct)
    {
        foreach (var region in toDelete.GroupBy(d => d.Region, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var deletions = region.ToList();
            SnapshotHolders holders;
            try
            {
                holders = await RegionFor(region.Key).FindSnapshotHoldersAsync([.. deletions.Select(d => d.SnapshotId)], ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AmazonServiceException or HttpRequestException or AmazonClientException)
            {
                // Without a fresh answer nothing can say these snapshots are unused: keep them, and say so loudly.
                log.Error("snapshot check failed; snapshots kept", ("region", region.Key), ("error", Describe(e)));
                if (Ec2Calls.GaveUpAtDeadline(e, timeLeft(), settings.DeadlineSafetyMargin, ct))
                {
                    Defer(new SkipEntry("DescribeImages/ListImagesInRecycleBin", region.Key, null,
                        $"snapshot check still throttled or failing ({Describe(e)}) as the deadline neared; {deletions.Count} snapshot(s) kept for the next pass"));
                    continue;
                }

                Add(failures, new FailureEntry("DescribeImages/ListImagesInRecycleBin", region.Key, null, "check-snapshots",
                    $"{Describe(e)}; {deletions.Count} snapshot(s) kept until the check works (are ec2:DescribeImages and ec2:ListImagesInRecycleBin allowed?)"));
                continue;
            }

            await ForEachAsync(deletions, d => d.SnapshotId, d => d.Region, d => d.InstanceId, "delete-snapshot", (d, t) => DeleteSnapshotAsync(d, holders, t), ct).ConfigureAwait(false);
        }
    }

    private async Task DeleteSnapshotAsync(SnapshotDeletion deletion, SnapshotHolders holders, CancellationToken ct)
    {
        if (SnapshotGuard.WhyKeep(deletion.SnapshotId, deletion.ImageName, deletion.InstanceId, holders) is { } why)
        {
            Add(skipped, new SkipEntry(deletion.SnapshotId, deletion.Region, deletion.InstanceId, $"snapshot kept: {why}"));
            return;
        }

        try
        {
            await RegionFor(deletion.Region).DeleteSnapshotAsync(deletion.SnapshotId, ct).ConfigureAwait(false);
            log.Info("snapshot deleted", ("snapshotId", deletion.SnapshotId), ("region", deletion.Region), ("reason", deletion.Reason));
            Add(deletedSnapshots, new SnapshotEntry(deletion.SnapshotId, deletion.Region, null, deletion.InstanceId, deletion.Reason));
        }
        catch (SnapshotInUseException)
        {
            Add(skipped, new SkipEntry(deletion.SnapshotId, deletion.Region, deletion.InstanceId, "snapshot kept: a registered image uses it"));
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException && !Ec2Calls.GaveUpAtDeadline(e, timeLeft(), settings.DeadlineSafetyMargin, ct))
        {
            Add(failures, new FailureEntry(deletion.SnapshotId, deletion.Region, deletion.InstanceId, "delete-snapshot", $"{Describe(e)}; the next pass deletes it as an orphan"));
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
                Defer(new SkipEntry(subject(item), region(item), instanceId(item),
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
                Defer(new SkipEntry(subject(item), region(item), instanceId(item),
                    $"{step} interrupted by the Lambda deadline; the next pass checks what EC2 did and carries on"));
            }
            catch (Exception e) when (Ec2Calls.GaveUpAtDeadline(e, timeLeft(), settings.DeadlineSafetyMargin, token))
            {
                // Ec2Calls retries throttling and 5xx until the deadline nears, so one still failing now ran out of
                // time, not out of luck: no item fails for throttling alone. Names and ClientTokens make the next try safe.
                log.Warn($"{step} left for the next pass", ("subject", subject(item)), ("region", region(item)), ("error", Describe(e)));
                Defer(new SkipEntry(subject(item), region(item), instanceId(item),
                    $"{step} left for the next pass: EC2 was still answering {Describe(e)} as the Lambda deadline neared"));
            }
            catch (Exception e) when (e is AmazonServiceException or HttpRequestException or AmazonClientException or TaskCanceledException)
            {
                log.Error($"{step} failed", ("subject", subject(item)), ("region", region(item)), ("error", Describe(e)));
                Add(failures, new FailureEntry(subject(item), region(item), instanceId(item), step, Describe(e)));
            }
        }).ConfigureAwait(false);
    }

    private static string Describe(Exception e) => e is AmazonServiceException s && s.ErrorCode is { } code ? $"{code}: {s.Message}" : e.Message;

    /// <summary>Work left for lack of time: skipped, and counted so the invocation can ask Lambda for another delivery.</summary>
    private void Defer(SkipEntry entry)
    {
        lock (gate)
        {
            skipped.Add(entry);
            deferred.Add(entry.Subject);
        }
    }

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
    IReadOnlyList<FailureEntry> Failures,
    IReadOnlyList<ImageEntry> Adopted,
    IReadOnlyList<string>? DeferredSubjects = null,
    IReadOnlyList<SnapshotEntry>? Locked = null,
    IReadOnlyList<ImageEntry>? Deprecated = null)
{
    /// <summary>How many items the deadline left for the next pass.</summary>
    public int Deferred => DeferredSubjects?.Count ?? 0;
}
