namespace AmiRotator.Inventory;

/// <summary>
/// What one Region held when the pass read it. Snapshots are listed before images, so every snapshot
/// seen here belonged to an image that was already registered when the images were listed.
/// </summary>
internal sealed record RegionInventory(
    string Region,
    IReadOnlyList<Ec2Image> Images,
    IReadOnlyList<Ec2Snapshot> ManagedSnapshots);

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
}

/// <summary>A listing that failed: which part, in which Region, by which call, and EC2's answer.</summary>
internal sealed record ReadFailure(InventoryPart Part, string Region, string Call, string Error);
