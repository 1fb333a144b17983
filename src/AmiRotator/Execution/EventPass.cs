using Amazon.Runtime;
using AmiRotator.Configuration;
using AmiRotator.Ec2;
using AmiRotator.Inventory;
using AmiRotator.Invocation;
using AmiRotator.Planning;
using AmiRotator.Reporting;

namespace AmiRotator.Execution;

/// <summary>
/// EC2 AMI State Change events, one or a batch of them from the queue, with both Regions' events in it. The whole
/// batch is answered from one targeted read (<see cref="TargetedReads"/>): the images named, and their instances'
/// backups and copies; never a listing of the account. It only copies: a source backup that became available, and
/// the source of a DR copy that failed. A failed image of ours is logged and counted (ImageFailed).
/// </summary>
internal sealed class EventPass(Settings settings, IEc2Region source, IEc2Region? dr, TimeProvider clock, Log log)
{
    /// <summary>
    /// EC2's reads are eventually consistent [ec2/latest/devguide/eventual-consistency]: an event can come before
    /// DescribeImages shows the image, or its new state. Such images are read again after these pauses.
    /// </summary>
    public static readonly TimeSpan[] Rereads = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)];

    public async Task<EventPassResult> RunAsync(IReadOnlyList<ImageStateChange> events, string accountId, bool dryRun, Func<TimeSpan> timeLeft, CancellationToken ct)
    {
        var notes = new Dictionary<ImageStateChange, string>();
        var fromSource = new List<ImageStateChange>();
        var failed = new List<ImageStateChange>();
        foreach (var change in events)
        {
            var region = change.Region ?? settings.Region;
            if (region != settings.Region && region != settings.DrRegion)
            {
                notes[change] = $"event from {region}; this function backs up {settings.Region}{(settings.DrRegion is null ? "" : $" and copies to {settings.DrRegion}")}";
            }
            else if (change.State is not (ImageStates.Available or ImageStates.Failed))
            {
                notes[change] = $"state {change.State} needs no action";
            }
            else if (region == settings.DrRegion && change.State == ImageStates.Available)
            {
                // Decided from the event alone: a copy that completed needs nothing, and costs no EC2 call.
                notes[change] = $"a copy in {region} is available; nothing to do";
            }
            else if (change.State == ImageStates.Failed && dr is not null)
            {
                // Looked up in both Regions: the docs don't say whether a forwarded event keeps its Region.
                failed.Add(change);
            }
            else
            {
                fromSource.Add(change);
            }
        }

        var failedCopies = await FailedCopiesAsync(failed, ct).ConfigureAwait(false);
        fromSource.AddRange(failed.Except(failedCopies));

        var (images, notVisible) = await ReadEventImagesAsync(fromSource, failedCopies, ct).ConfigureAwait(false);
        var toCopy = new HashSet<string>(StringComparer.Ordinal);
        var failedImages = 0;
        foreach (var change in fromSource.Concat(failedCopies).Where(c => !notVisible.Contains(c)))
        {
            var isCopy = failedCopies.Contains(change);
            var image = images.GetValueOrDefault(change.ImageId);
            if (image is null || !IsOurs(image, accountId, isCopy))
            {
                notes[change] = $"not a {(isCopy ? "DR copy" : "source backup")} of this stack (owner {settings.Owner}); nothing to do";
            }
            else if (change.State == ImageStates.Failed)
            {
                failedImages++;
                log.Error(isCopy ? "DR copy failed" : "backup image failed", ("imageId", change.ImageId), ("region", image.Region), ("instanceId", image.InstanceId),
                    ("sourceImageId", image.SourceImageId), ("errorMessage", change.ErrorMessage));
                notes[change] = isCopy
                    ? $"DR copy failed ({change.ErrorMessage}); copied again from {image.SourceImageId}"
                    : $"image failed ({change.ErrorMessage}); the next pass makes a new backup of {image.InstanceId ?? "its instance"} and retires the failed image";
                if (isCopy)
                {
                    toCopy.Add(image.SourceImageId!);
                }
            }
            else if (settings.DrRegion is null)
            {
                notes[change] = "DR_REGION is empty; no copies are made";
            }
            else
            {
                toCopy.Add(image.ImageId);
            }
        }

        var pass = await CopyAsync(images.Values.Where(i => toCopy.Contains(i.ImageId) || (i.IsCopy && toCopy.Contains(i.SourceImageId!))), toCopy, accountId, dryRun, timeLeft, ct).ConfigureAwait(false);

        // The siblings' read can lag the read by id: a source the plan still saw as pending would silently wait for
        // the night loop, so its event counts as not visible yet and comes back.
        foreach (var stale in pass.Summary.Skipped.Where(s => s.Reason.StartsWith("source image is", StringComparison.Ordinal)))
        {
            notVisible.UnionWith(fromSource.Where(c => c.ImageId == stale.Subject));
        }

        // An event comes back (SQS delivers it again) while its work is not done: a failure or the deadline.
        var troubled = pass.Summary.Failures.Select(f => f.Subject).Concat(pass.Deferred).ToHashSet(StringComparer.Ordinal);
        var retry = fromSource.Concat(failedCopies)
            .Where(c => notVisible.Contains(c) || troubled.Contains(c.ImageId)
                        || (failedCopies.Contains(c) && images.GetValueOrDefault(c.ImageId)?.SourceImageId is { } sourceId && troubled.Contains(sourceId)))
            .ToList();

        var noteSkips = notes.Select(n => new SkipEntry(n.Key.ImageId, n.Key.Region ?? settings.Region, null, n.Value));
        var summary = pass.Summary with { Skipped = [.. noteSkips, .. pass.Summary.Skipped] };
        return new EventPassResult(summary, [.. notVisible], retry, failedImages);
    }

    private async Task<PassResult> CopyAsync(IEnumerable<Ec2Image> involved, HashSet<string> toCopy, string accountId, bool dryRun, Func<TimeSpan> timeLeft, CancellationToken ct)
    {
        var instanceIds = involved.Select(i => i.InstanceId).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (toCopy.Count == 0 || dr is null || instanceIds.Count == 0)
        {
            return new PassResult(new Summary("image-state-change", dryRun, settings.Region, settings.DrRegion, null, [], [], [], [], [], [], []), [], []);
        }

        var inventory = await TargetedReads.ForCopiesAsync(settings, source, dr, accountId, instanceIds, ct).ConfigureAwait(false);
        var scope = new PassScope(Backup: false, Copy: true, Prune: false, clock.GetUtcNow(), ImageIds: toCopy);
        return await new ReconcilePass(settings, source, dr, clock, log).PlanAndExecuteAsync(inventory, scope, "image-state-change", dryRun, timeLeft, ct).ConfigureAwait(false);
    }

    /// <summary>The failed images that are copies in the DR Region (the others are looked for at the source).</summary>
    private async Task<List<ImageStateChange>> FailedCopiesAsync(List<ImageStateChange> failed, CancellationToken ct)
    {
        if (failed.Count == 0 || dr is null)
        {
            return [];
        }

        var inDr = (await dr.FindImagesAsync(new ImageQuery(ImageIds: [.. failed.Select(c => c.ImageId)]), ct).ConfigureAwait(false))
            .Select(i => i.ImageId).ToHashSet(StringComparer.Ordinal);
        return [.. failed.Where(c => inDr.Contains(c.ImageId))];
    }

    /// <summary>The events' images, read by id in their Regions; an available event whose image doesn't show as available yet is read again.</summary>
    private async Task<(Dictionary<string, Ec2Image> Images, HashSet<ImageStateChange> NotVisible)> ReadEventImagesAsync(
        List<ImageStateChange> fromSource, List<ImageStateChange> failedCopies, CancellationToken ct)
    {
        var images = new Dictionary<string, Ec2Image>(StringComparer.Ordinal);
        var waiting = new HashSet<ImageStateChange>(fromSource.Concat(failedCopies));
        for (var attempt = 0; waiting.Count > 0; attempt++)
        {
            foreach (var (region, changes) in new[] { (source, waiting.Where(fromSource.Contains).ToList()), (dr, waiting.Where(failedCopies.Contains).ToList()) })
            {
                if (region is null || changes.Count == 0)
                {
                    continue;
                }

                foreach (var image in await region.FindImagesAsync(new ImageQuery(ImageIds: [.. changes.Select(c => c.ImageId)]), ct).ConfigureAwait(false))
                {
                    images[image.ImageId] = image;
                }
            }

            // Seen in the state the event reported (or gone for good): settled. Otherwise the read lags the event.
            waiting.RemoveWhere(c => images.GetValueOrDefault(c.ImageId) is { } image && (image.State == c.State || !image.HoldsSnapshots));
            if (waiting.Count == 0 || attempt == Rereads.Length)
            {
                break;
            }

            log.Info("event images not visible yet; reading again", ("images", waiting.Select(c => c.ImageId).ToList()), ("waitMs", (long)Rereads[attempt].TotalMilliseconds));
            await Task.Delay(Rereads[attempt], clock, ct).ConfigureAwait(false);
        }

        // An image DescribeImages never showed is not taken for "not ours" yet: only for not visible.
        return (images, waiting);
    }

    private bool IsOurs(Ec2Image image, string accountId, bool isCopy) =>
        image.IsManaged && image.OwnerId == accountId && image.Owner == settings.Owner
        && (isCopy ? image.IsCopy && image.SourceRegion == settings.Region && image.SourceImageId is not null : !image.IsCopy);
}

/// <summary>
/// What an event pass came to: its summary, the events whose image EC2 did not show yet, the events to deliver again
/// (those, and those whose work failed or was left by the deadline), and how many images of ours had failed.
/// </summary>
internal sealed record EventPassResult(Summary Summary, IReadOnlyList<ImageStateChange> NotVisible, IReadOnlyList<ImageStateChange> Retry, int FailedImages);
