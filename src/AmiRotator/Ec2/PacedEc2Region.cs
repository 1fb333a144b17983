using AmiRotator.Inventory;
using AmiRotator.Planning;

namespace AmiRotator.Ec2;

/// <summary>
/// Paces mutating calls at EC2's published per-account, per-Region token buckets (ec2-api-throttling):
/// CreateImage 50 + 5/s, CopyImage 100 + 1/s, DeregisterImage 100 + 5/s, DeleteSnapshot 100 + 5/s, CreateTags
/// 100 + 10/s; and DescribeImageReferences, a non-mutating action, 100 + 20/s: a prune checks every image it retires,
/// ten per call, so a 10,000-instance night makes 2,000 of them in a row, which unpaced EC2 would mostly refuse.
/// Throttling caused by other callers in the account is retried by <see cref="Ec2Calls"/>.
/// </summary>
/// <remarks>
/// Our buckets run a little under EC2's: <see cref="Headroom"/> of the refill rate, and a burst <see cref="BurstReserve"/>
/// short. Calls leave our bucket in order but reach EC2 with the jitter of several in flight, and EC2's bucket refuses
/// any that arrive early; pacing exactly at the refill rate was throttled 7 to 10 times in 100 paced CreateImage calls
/// (FaultScenarioTests.ScheduledEvent_UnderEc2sOwnBuckets_PacesItsBackupsWithoutOneThrottle). 4 % costs a 10,000-
/// instance night 83 s, inside the 5 % its target allows.
/// </remarks>
/// <param name="copyWriters">
/// How many execution environments may copy at once (COPY_WRITERS: the night loop and the event queue's pollers).
/// Each keeps its own bucket, so each takes only its share of CopyImage's, and together they stay within EC2's.
/// </param>
internal sealed class PacedEc2Region(IEc2Region inner, TimeProvider clock, int copyWriters = 1) : IEc2Region
{
    public const double Headroom = 0.96;
    public const int BurstReserve = 2;

    /// <summary>Half of DescribeImageReferences' burst: a group never needs more tokens than EC2's bucket can hold.</summary>
    public const int ReferenceCallsPerGroup = 50;

    private readonly TokenBucket createImage = Under(50, 5, clock);
    private readonly TokenBucket copyImage = new(Math.Max(1, (100 - BurstReserve) / copyWriters), Headroom / copyWriters, clock);
    private readonly TokenBucket deregisterImage = Under(100, 5, clock);
    private readonly TokenBucket deleteSnapshot = Under(100, 5, clock);
    private readonly TokenBucket createTags = Under(100, 10, clock);
    private readonly TokenBucket describeImageReferences = Under(100, 20, clock);

    public string Region => inner.Region;

    public Task<IReadOnlyList<Ec2Instance>> ListInstancesAsync(string tagKey, string tagValue, IReadOnlyList<string>? instanceIds, CancellationToken ct) =>
        inner.ListInstancesAsync(tagKey, tagValue, instanceIds, ct);

    public Task<IReadOnlyList<Ec2Image>> ListOwnedImagesAsync(IReadOnlyList<string>? imageIds, CancellationToken ct) =>
        inner.ListOwnedImagesAsync(imageIds, ct);

    public Task<IReadOnlyList<Ec2Image>> FindImagesAsync(ImageQuery query, CancellationToken ct) => inner.FindImagesAsync(query, ct);

    public Task<IReadOnlyList<Ec2Snapshot>> ListManagedSnapshotsAsync(string accountId, CancellationToken ct) =>
        inner.ListManagedSnapshotsAsync(accountId, ct);

    public Task<IReadOnlyDictionary<string, SnapshotLock>> ListSnapshotLocksAsync(CancellationToken ct) => inner.ListSnapshotLocksAsync(ct);

    // LockSnapshot and EnableImageDeprecation have no bucket of their own [ec2-api-throttling]: like CreateImage they
    // draw on the default mutating bucket (50, 5/s), so they share CreateImage's here.
    public async Task LockSnapshotAsync(LockAction action, CancellationToken ct)
    {
        await createImage.TakeAsync(ct).ConfigureAwait(false);
        await inner.LockSnapshotAsync(action, ct).ConfigureAwait(false);
    }

    public async Task DeprecateImageAsync(DeprecateAction action, CancellationToken ct)
    {
        await createImage.TakeAsync(ct).ConfigureAwait(false);
        await inner.DeprecateImageAsync(action, ct).ConfigureAwait(false);
    }

    public Task<ImageLookup> FindImageAsync(string imageId, CancellationToken ct) => inner.FindImageAsync(imageId, ct);

    public Task<SnapshotHolders> FindSnapshotHoldersAsync(IReadOnlyList<string> snapshotIds, CancellationToken ct) =>
        inner.FindSnapshotHoldersAsync(snapshotIds, ct);

    public async Task AdoptAsync(IReadOnlyList<string> resourceIds, IReadOnlyDictionary<string, string> tags, CancellationToken ct)
    {
        await createTags.TakeAsync(ct).ConfigureAwait(false);
        await inner.AdoptAsync(resourceIds, tags, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// One DescribeImageReferences call per ten images [API_DescribeImageReferences]: the tokens for a group of
    /// <see cref="ReferenceCallsPerGroup"/> calls are taken before the group goes, so the group reaches EC2 no faster
    /// than its bucket refilled. Groups (not single calls) keep the fallback for endpoints without the action, which
    /// reads launch templates once per call it is given, from reading them once per ten images.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> FindReferencesAsync(IReadOnlyList<string> imageIds, CancellationToken ct)
    {
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var group in imageIds.Distinct(StringComparer.Ordinal).Chunk(Ec2Region.ReferenceIdsPerCall * ReferenceCallsPerGroup))
        {
            for (var call = 0; call < (group.Length + Ec2Region.ReferenceIdsPerCall - 1) / Ec2Region.ReferenceIdsPerCall; call++)
            {
                await describeImageReferences.TakeAsync(ct).ConfigureAwait(false);
            }

            foreach (var (id, references) in await inner.FindReferencesAsync(group, ct).ConfigureAwait(false))
            {
                result[id] = references;
            }
        }

        return result;
    }

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

    private static TokenBucket Under(int capacity, double refillPerSecond, TimeProvider clock) =>
        new(capacity - BurstReserve, refillPerSecond * Headroom, clock);
}
