using AmiRotator.Inventory;
using AmiRotator.Planning;

namespace AmiRotator.Ec2;

/// <summary>
/// Paces mutating calls at EC2's published per-account, per-Region token buckets (ec2-api-throttling):
/// CreateImage 50 + 5/s, CopyImage 100 + 1/s, DeregisterImage 100 + 5/s, DeleteSnapshot 100 + 5/s, CreateTags
/// 100 + 10/s. Throttling caused by other callers in the account is retried by <see cref="Ec2Calls"/>.
/// </summary>
internal sealed class PacedEc2Region(IEc2Region inner, TimeProvider clock) : IEc2Region
{
    private readonly TokenBucket createImage = new(50, 5, clock);
    private readonly TokenBucket copyImage = new(100, 1, clock);
    private readonly TokenBucket deregisterImage = new(100, 5, clock);
    private readonly TokenBucket deleteSnapshot = new(100, 5, clock);
    private readonly TokenBucket createTags = new(100, 10, clock);

    public string Region => inner.Region;

    public Task<IReadOnlyList<Ec2Instance>> ListInstancesAsync(string tagKey, string tagValue, IReadOnlyList<string>? instanceIds, CancellationToken ct) =>
        inner.ListInstancesAsync(tagKey, tagValue, instanceIds, ct);

    public Task<IReadOnlyList<Ec2Image>> ListOwnedImagesAsync(IReadOnlyList<string>? imageIds, CancellationToken ct) =>
        inner.ListOwnedImagesAsync(imageIds, ct);

    public Task<IReadOnlyList<Ec2Snapshot>> ListManagedSnapshotsAsync(string accountId, CancellationToken ct) =>
        inner.ListManagedSnapshotsAsync(accountId, ct);

    public Task<ImageLookup> FindImageAsync(string imageId, CancellationToken ct) => inner.FindImageAsync(imageId, ct);

    public Task<SnapshotHolders> FindSnapshotHoldersAsync(IReadOnlyList<string> snapshotIds, CancellationToken ct) =>
        inner.FindSnapshotHoldersAsync(snapshotIds, ct);

    public async Task AdoptAsync(IReadOnlyList<string> resourceIds, IReadOnlyDictionary<string, string> tags, CancellationToken ct)
    {
        await createTags.TakeAsync(ct).ConfigureAwait(false);
        await inner.AdoptAsync(resourceIds, tags, ct).ConfigureAwait(false);
    }

    public Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> FindReferencesAsync(IReadOnlyList<string> imageIds, CancellationToken ct) =>
        inner.FindReferencesAsync(imageIds, ct);

    public async Task<string> CreateImageAsync(BackupAction backup, CancellationToken ct)
    {
        await createImage.TakeAsync(ct).ConfigureAwait(false);
        return await inner.CreateImageAsync(backup, ct).ConfigureAwait(false);
    }

    public async Task<string> CopyImageAsync(CopyAction copy, CancellationToken ct)
    {
        await copyImage.TakeAsync(ct).ConfigureAwait(false);
        return await inner.CopyImageAsync(copy, ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<SnapshotOutcome>> DeregisterImageAsync(string imageId, CancellationToken ct)
    {
        await deregisterImage.TakeAsync(ct).ConfigureAwait(false);
        return await inner.DeregisterImageAsync(imageId, ct).ConfigureAwait(false);
    }

    public async Task DeleteSnapshotAsync(string snapshotId, CancellationToken ct)
    {
        await deleteSnapshot.TakeAsync(ct).ConfigureAwait(false);
        await inner.DeleteSnapshotAsync(snapshotId, ct).ConfigureAwait(false);
    }

    /// <summary>A dry run is still a call of that action, and EC2 counts it against the action's bucket.</summary>
    public async Task<DryRunVerdict> DryRunAsync(DryRunRequest request, CancellationToken ct)
    {
        var bucket = request switch
        {
            DryRunCreateImage => createImage,
            DryRunCopyImage => copyImage,
            DryRunDeregisterImage => deregisterImage,
            _ => deleteSnapshot,
        };
        await bucket.TakeAsync(ct).ConfigureAwait(false);
        return await inner.DryRunAsync(request, ct).ConfigureAwait(false);
    }
}
