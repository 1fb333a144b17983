using AmiRotator.Inventory;
using AmiRotator.Planning;

namespace AmiRotator.Ec2;

/// <summary>
/// The EC2 calls AmiRotator makes in one Region: a few paginated listings per pass, and idempotent mutations.
/// Production uses <see cref="Ec2Region"/>; tests use a fake that follows the AWS API reference.
/// </summary>
internal interface IEc2Region
{
    string Region { get; }

    /// <summary>Instances carrying <paramref name="tagKey"/>=<paramref name="tagValue"/>, or exactly <paramref name="instanceIds"/> when given.</summary>
    Task<IReadOnlyList<Ec2Instance>> ListInstancesAsync(string tagKey, string tagValue, IReadOnlyList<string>? instanceIds, CancellationToken ct);

    /// <summary>Every image the account owns in the Region (any state), or just <paramref name="imageIds"/>.</summary>
    Task<IReadOnlyList<Ec2Image>> ListOwnedImagesAsync(IReadOnlyList<string>? imageIds, CancellationToken ct);

    /// <summary>
    /// Only the images the query names (DescribeImages with filters, the account's own, any state): what an event batch
    /// or one phase of a night needs, without listing the whole account. Criteria are ANDed; the values of one are ORed.
    /// </summary>
    Task<IReadOnlyList<Ec2Image>> FindImagesAsync(ImageQuery query, CancellationToken ct);

    /// <summary>Every snapshot the account owns that carries the managed tag.</summary>
    Task<IReadOnlyList<Ec2Snapshot>> ListManagedSnapshotsAsync(string accountId, CancellationToken ct);

    /// <summary>
    /// The Region's active snapshot locks (DescribeLockedSnapshots, lock-state compliance-cooloff, governance or
    /// compliance): a locked snapshot can't be deleted, so its image is not retired and the snapshot is not swept.
    /// </summary>
    Task<IReadOnlyDictionary<string, SnapshotLock>> ListSnapshotLocksAsync(CancellationToken ct);

    /// <summary>LockSnapshot in the action's mode until its expiration date (a DR copy's snapshot, issue 12).</summary>
    Task LockSnapshotAsync(LockAction action, CancellationToken ct);

    /// <summary>EnableImageDeprecation: the backup is too old to launch by accident.</summary>
    Task DeprecateImageAsync(DeprecateAction action, CancellationToken ct);

    /// <summary>
    /// One image, read again now. EC2's reads are eventually consistent [ec2/latest/devguide/eventual-consistency]:
    /// an image just made may not be visible yet (<see cref="ImageLookup.NotVisible"/>), which is not the same as one
    /// that is gone (deregistered, <see cref="ImageLookup.Gone"/>).
    /// </summary>
    Task<ImageLookup> FindImageAsync(string imageId, CancellationToken ct);

    /// <summary>
    /// What might still need these snapshots, read fresh right before deleting them: registered images of the
    /// account that use them (DescribeImages, block-device-mapping.snapshot-id) and every image in the Recycle Bin
    /// (ListImagesInRecycleBin, which DescribeImages doesn't show and which gives names, not snapshot ids).
    /// </summary>
    Task<SnapshotHolders> FindSnapshotHoldersAsync(IReadOnlyList<string> snapshotIds, CancellationToken ct);

    /// <summary>CreateTags on existing resources: records this stack as the owner of backups made before owners were recorded.</summary>
    Task AdoptAsync(IReadOnlyList<string> resourceIds, IReadOnlyDictionary<string, string> tags, CancellationToken ct);

    /// <summary>What still uses each image (DescribeImageReferences, 10 ids per call). Throws when the check is unavailable.</summary>
    Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> FindReferencesAsync(IReadOnlyList<string> imageIds, CancellationToken ct);

    /// <summary>CreateImage with image and snapshot tags. Throws <see cref="DuplicateImageNameException"/> when the name is taken.</summary>
    Task<string> CreateImageAsync(BackupAction backup, CancellationToken ct);

    /// <summary>CopyImage, called in this (the destination) Region.</summary>
    Task<string> CopyImageAsync(CopyAction copy, CancellationToken ct);

    /// <summary>DeregisterImage with DeleteAssociatedSnapshots; returns EC2's per-snapshot outcome.</summary>
    Task<IReadOnlyList<SnapshotOutcome>> DeregisterImageAsync(string imageId, CancellationToken ct);

    /// <summary>DeleteSnapshot. A snapshot already gone counts as deleted; one still in use throws <see cref="SnapshotInUseException"/>.</summary>
    Task DeleteSnapshotAsync(string snapshotId, CancellationToken ct);

    /// <summary>
    /// Sends the very request a mutation would send, with DryRun=true: allowed or denied, nothing changes. Any
    /// other answer (a missing resource, a throttle that outlasts the retries) throws.
    /// </summary>
    Task<DryRunVerdict> DryRunAsync(DryRunRequest request, CancellationToken ct);
}

/// <summary>EC2's error code for a denied request, thrown when any call (not only a dry run) is refused by IAM.</summary>
internal static class Ec2Errors
{
    public const string Unauthorized = "UnauthorizedOperation";
    public const string DryRunOperation = "DryRunOperation";

    /// <summary>
    /// DeregisterImage of an image with deregistration protection enabled. No AWS page names the code; this is the one
    /// EC2 uses for the like case of termination protection [errors-overview, OperationNotPermitted]. The planner keeps
    /// protected images from DescribeImages in the first place; this only covers protection switched on mid-pass.
    /// </summary>
    public const string DeregistrationProtected = "OperationNotPermitted";
}

/// <summary>One image read by id: found (with what EC2 shows now), gone for good, or not visible yet.</summary>
internal sealed record ImageLookup(Ec2Image? Image, bool Gone)
{
    public static readonly ImageLookup NotVisible = new(null, false);
    public static readonly ImageLookup GoneForGood = new(null, true);

    public bool IsNotVisible => Image is null && !Gone;
}

/// <summary>Registered images using each snapshot (snapshot id to image ids), and the images now in the Recycle Bin.</summary>
internal sealed record SnapshotHolders(IReadOnlyDictionary<string, IReadOnlyList<string>> Registered, IReadOnlyList<BinnedImage> RecycleBin);

/// <summary>An AMI in the Recycle Bin [API_ImageRecycleBinInfo]: restorable until <see cref="ExitTime"/>.</summary>
internal sealed record BinnedImage(string ImageId, string Name, DateTimeOffset? ExitTime);

/// <summary>One entry of DeregisterImage's DeleteSnapshotResults.</summary>
internal sealed record SnapshotOutcome(string SnapshotId, string ReturnCode)
{
    public bool Deleted => ReturnCode == "success";

    /// <summary>[API_DeleteSnapshotReturnCode] "skipped": the snapshot is associated with other AMIs. It must stay.</summary>
    public bool SharedWithAnotherImage => ReturnCode == "skipped";
}

/// <summary>
/// The name is taken. <see cref="Holder"/> is the image that holds it, looked up by name right then; null when
/// DescribeImages does not show it yet (its reads are eventually consistent) or it is not the account's.
/// </summary>
internal sealed class DuplicateImageNameException(string name, Inventory.Ec2Image? holder = null) : Exception($"an image named {name} already exists")
{
    public string Name { get; } = name;

    public Inventory.Ec2Image? Holder { get; } = holder;
}

/// <summary>DeregisterImage refused because deregistration protection is enabled on the image.</summary>
internal sealed class DeregistrationProtectedException(string imageId, string message) : Exception($"{imageId}: {message}");

internal sealed class SnapshotInUseException(string snapshotId) : Exception($"snapshot {snapshotId} is in use by a registered image");

/// <summary>
/// A filtered DescribeImages [API_DescribeImages]: image-id, the instance a backup is of (tag ami-rotator:instance-id),
/// name (with EC2's * and ? wildcards), exact tags and the state. Image ids or instance ids are sent 200 per call (EC2's
/// limit on filter values in one call), the other criteria with each call.
/// </summary>
internal sealed record ImageQuery(
    IReadOnlyList<string>? ImageIds = null,
    IReadOnlyList<string>? InstanceIds = null,
    IReadOnlyList<string>? NamePatterns = null,
    IReadOnlyDictionary<string, string>? Tags = null,
    string? State = null)
{
    /// <summary>The managed images still pending: in the DR Region, the copies in flight.</summary>
    public static ImageQuery PendingManaged { get; } = new(Tags: new Dictionary<string, string> { [ManagedTags.Managed] = ManagedTags.ManagedValue }, State: "pending");

    /// <summary>The backups (and their copies) of one scheduled time, whoever made them.</summary>
    public static ImageQuery ScheduledAt(string timeTag) => new(Tags: new Dictionary<string, string> { [ManagedTags.ScheduledTime] = timeTag });

    /// <summary>The criteria sent with every call, as (filter name, values).</summary>
    public IEnumerable<(string Name, IReadOnlyList<string> Values)> FixedFilters()
    {
        if (NamePatterns is { } names)
        {
            yield return ("name", names);
        }

        foreach (var (key, value) in (Tags ?? new Dictionary<string, string>()).OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            yield return ($"tag:{key}", [value]);
        }

        if (State is { } state)
        {
            yield return ("state", [state]);
        }
    }

    /// <summary>The one criterion whose values are chunked: image ids or instance ids (not both).</summary>
    public (string Name, IReadOnlyList<string> Values)? ChunkedFilter() =>
        ImageIds is not null && InstanceIds is not null ? throw new InvalidOperationException("an image query names images or instances, not both")
        : ImageIds is { } ids ? ("image-id", ids)
        : InstanceIds is { } instances ? ($"tag:{ManagedTags.InstanceId}", instances)
        : null;

    public override string ToString() =>
        string.Join(' ', FixedFilters().Concat(ChunkedFilter() is { } c ? [c] : []).Select(f => $"{f.Name}={string.Join(',', f.Values)}"));
}
