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

    /// <summary>Every snapshot the account owns that carries the managed tag.</summary>
    Task<IReadOnlyList<Ec2Snapshot>> ListManagedSnapshotsAsync(string accountId, CancellationToken ct);

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
}

/// <summary>One entry of DeregisterImage's DeleteSnapshotResults.</summary>
internal sealed record SnapshotOutcome(string SnapshotId, string ReturnCode)
{
    public bool Deleted => ReturnCode == "success";
}

internal sealed class DuplicateImageNameException(string name) : Exception($"an image named {name} already exists");

internal sealed class SnapshotInUseException(string snapshotId) : Exception($"snapshot {snapshotId} is in use by a registered image");
