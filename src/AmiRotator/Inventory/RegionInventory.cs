namespace AmiRotator.Inventory;

/// <summary>
/// What one Region held when the pass read it. Snapshots are listed before images, so every snapshot
/// seen here belonged to an image that was already registered when the images were listed.
/// </summary>
/// <param name="Locks">The Region's active snapshot locks by snapshot id, read with the snapshots in a full pass; null
/// when this read did not ask for them (targeted reads, which never retire or sweep).</param>
internal sealed record RegionInventory(
    string Region,
    IReadOnlyList<Ec2Image> Images,
    IReadOnlyList<Ec2Snapshot> ManagedSnapshots,
    IReadOnlyDictionary<string, SnapshotLock>? Locks = null)
{
    /// <summary>The lock that stops deleting <paramref name="snapshotId"/> at <paramref name="now"/>, if any.</summary>
    public SnapshotLock? ActiveLock(string snapshotId, DateTimeOffset now) =>
        Locks?.GetValueOrDefault(snapshotId) is { } l && l.IsActiveAt(now) ? l : null;

    /// <summary>The active locks on <paramref name="image"/>'s snapshots at <paramref name="now"/>.</summary>
    public IEnumerable<SnapshotLock> LocksOn(Ec2Image image, DateTimeOffset now) =>
        image.SnapshotIds.Select(s => ActiveLock(s, now)).OfType<SnapshotLock>();
}

/// <summary>
/// A point-in-time read of the source Region (and the DR Region when one is set). <see cref="Unread"/> lists the
/// parts whose read failed even after retries: each fails only the steps that depend on it (<see cref="Planning.Planner"/>).
/// </summary>
internal sealed record Inventory(
    string AccountId,
    IReadOnlyList<Ec2Instance> Instances,
    RegionInventory Source,
    RegionInventory? Dr,
    IReadOnlyList<ReadFailure>? Unread = null)
{
    public bool Missing(InventoryPart part) => Unread?.Any(u => u.Part == part) ?? false;
}

/// <summary>The parts of an inventory, each read by its own listing.</summary>
internal enum InventoryPart
{
    Instances,
    SourceImages,
    SourceSnapshots,
    DrImages,
    DrSnapshots,
    SourceLocks,
    DrLocks,
}

/// <summary>A listing that failed: which part, in which Region, by which call, and EC2's answer.</summary>
internal sealed record ReadFailure(InventoryPart Part, string Region, string Call, string Error);
