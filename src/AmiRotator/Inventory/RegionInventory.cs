namespace AmiRotator.Inventory;

/// <summary>
/// What one Region held when the pass read it. Snapshots are listed before images, so every snapshot
/// seen here belonged to an image that was already registered when the images were listed.
/// </summary>
internal sealed record RegionInventory(
    string Region,
    IReadOnlyList<Ec2Image> Images,
    IReadOnlyList<Ec2Snapshot> ManagedSnapshots);

/// <summary>A point-in-time read of the source Region (and the DR Region when one is set).</summary>
internal sealed record Inventory(
    string AccountId,
    IReadOnlyList<Ec2Instance> Instances,
    RegionInventory Source,
    RegionInventory? Dr);
