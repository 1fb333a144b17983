using Amazon.Runtime;
using AmiRotator.Ec2;
using AmiRotator.Planning;
using AmiRotator.Reporting;

namespace AmiRotator.Execution;

/// <summary>
/// DR copies: started one by one, then checked together. [ec2-api-idempotency] The same ClientToken with the same
/// parameters answers with the image the first call made, even once that copy has been deregistered: then nothing
/// was copied, and only a new token copies. One filtered DescribeImages per 200 copies tells which answers name an
/// image that is gone; only an image it does not list yet is looked up on its own (not yet visible, or long gone).
/// </summary>
internal sealed partial class Executor
{
    /// <summary>At most this many CopyImage calls per copy: an answer naming a copy that is gone costs one more.</summary>
    private const int MaxCopyCalls = 3;

    private readonly List<StartedCopy> startedCopies = [];

    private async Task CopyAsync(CopyAction copy, CancellationToken ct)
    {
        try
        {
            var imageId = await dr!.CopyImageAsync(copy, ct).ConfigureAwait(false);
            lock (gate)
            {
                startedCopies.Add(new StartedCopy(copy, imageId, 1));
            }
        }
        catch (DuplicateImageNameException)
        {
            // Retry names are unique per failed copy and racing passes share the ClientToken, so a taken name means
            // an image we did not expect holds it: the backup would never reach the DR Region unless someone looks.
            Add(failures, new FailureEntry(copy.SourceImageId, copy.DestinationRegion, copy.InstanceId, "copy",
                $"an image named {copy.Name} already exists in {copy.DestinationRegion} but is not a copy in progress of {copy.SourceImageId}"));
        }
    }

    private async Task VerifyCopiesAsync(CancellationToken ct)
    {
        var round = startedCopies.ToList();
        startedCopies.Clear();
        while (round.Count > 0)
        {
            var gone = await GoneAsync([.. round.Select(r => r.ImageId)], ct).ConfigureAwait(false);
            var again = new List<StartedCopy>();
            foreach (var (copy, imageId, calls) in round)
            {
                if (!gone.Contains(imageId))
                {
                    log.Info("copy started", ("sourceImageId", copy.SourceImageId), ("imageId", imageId), ("region", copy.DestinationRegion), ("reason", copy.Reason));
                    Add(copied, new ImageEntry(imageId, copy.DestinationRegion, copy.InstanceId, copy.Name, copy.SourceImageId, copy.SourceRegion, Reasons: [copy.Reason]));
                }
                else if (calls == MaxCopyCalls)
                {
                    Add(failures, new FailureEntry(copy.SourceImageId, copy.DestinationRegion, copy.InstanceId, "copy",
                        $"CopyImage answered {MaxCopyCalls} times with a copy that no longer exists (last {imageId}); the next pass tries again"));
                }
                else if (await CopyAgainAsync(copy, imageId, ct).ConfigureAwait(false) is { } retry)
                {
                    again.Add(retry with { Calls = calls + 1 });
                }
            }

            round = again;
        }
    }

    private async Task<StartedCopy?> CopyAgainAsync(CopyAction copy, string goneImageId, CancellationToken ct)
    {
        log.Warn("copy answered with a copy that is gone; copying again under a new ClientToken", ("sourceImageId", copy.SourceImageId), ("goneImageId", goneImageId));
        var next = copy with { ClientToken = BackupNaming.CopyToken(copy.SourceImageId, copy.DestinationRegion, copy.KmsKeyId, goneImageId) };
        if (timeLeft() < settings.DeadlineSafetyMargin || ct.IsCancellationRequested)
        {
            Defer(new SkipEntry(copy.SourceImageId, copy.DestinationRegion, copy.InstanceId, "copy not started again before the Lambda deadline; the next pass carries on"));
            return null;
        }

        try
        {
            return new StartedCopy(next, await dr!.CopyImageAsync(next, ct).ConfigureAwait(false), 0);
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException or DuplicateImageNameException)
        {
            Add(failures, new FailureEntry(copy.SourceImageId, copy.DestinationRegion, copy.InstanceId, "copy", Describe(e)));
            return null;
        }
    }

    /// <summary>Which of these images EC2 no longer has. If the check itself fails, none is taken for gone: a copy is assumed.</summary>
    private async Task<HashSet<string>> GoneAsync(IReadOnlyList<string> imageIds, CancellationToken ct)
    {
        var gone = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            var listed = (await dr!.FindImagesAsync(new ImageQuery(ImageIds: imageIds), ct).ConfigureAwait(false)).ToDictionary(i => i.ImageId, StringComparer.Ordinal);
            foreach (var id in imageIds.Distinct(StringComparer.Ordinal))
            {
                if (listed.TryGetValue(id, out var image) ? !image.HoldsSnapshots : (await dr.FindImageAsync(id, ct).ConfigureAwait(false)).Gone)
                {
                    gone.Add(id);
                }
            }
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException)
        {
            log.Warn("copies could not be checked; taken as started", ("error", Describe(e)), ("copies", imageIds.Count));
        }

        return gone;
    }

    private sealed record StartedCopy(CopyAction Copy, string ImageId, int Calls);
}
