using AmiRotator.Configuration;
using AmiRotator.Inventory;

namespace AmiRotator.Ec2;

/// <summary>
/// Reads one consistent-enough view of EC2 for a pass: a fixed handful of paginated Describe calls per Region,
/// whatever the fleet size. Snapshots are listed before images so that a snapshot can only look orphaned if its
/// image was gone before the images were listed.
/// </summary>
internal static class InventoryReader
{
    public static async Task<Inventory.Inventory> ReadAsync(
        Settings settings,
        IEc2Region source,
        IEc2Region? dr,
        string accountId,
        ReadNeeds needs,
        CancellationToken ct)
    {
        var sourceTask = ReadRegionAsync(source, accountId, needs.Snapshots, ct);
        var drTask = dr is not null && needs.Dr ? ReadRegionAsync(dr, accountId, needs.Snapshots, ct) : Task.FromResult<RegionInventory?>(null);
        var instancesTask = needs.Instances
            ? source.ListInstancesAsync(settings.BackupTag.Key, settings.BackupTag.Value, needs.InstanceIds, ct)
            : Task.FromResult<IReadOnlyList<Ec2Instance>>([]);

        await Task.WhenAll(sourceTask, drTask, instancesTask).ConfigureAwait(false);
        return new Inventory.Inventory(accountId, await instancesTask.ConfigureAwait(false), (await sourceTask.ConfigureAwait(false))!, await drTask.ConfigureAwait(false));
    }

    private static async Task<RegionInventory?> ReadRegionAsync(IEc2Region region, string accountId, bool snapshots, CancellationToken ct)
    {
        var managedSnapshots = snapshots ? await region.ListManagedSnapshotsAsync(accountId, ct).ConfigureAwait(false) : [];
        var images = await region.ListOwnedImagesAsync(null, ct).ConfigureAwait(false);
        return new RegionInventory(region.Region, images, managedSnapshots);
    }
}

/// <summary>What a pass needs to read. <see cref="InstanceIds"/> lists exactly those instances, tagged or not.</summary>
internal sealed record ReadNeeds(bool Instances, bool Snapshots, bool Dr, IReadOnlyList<string>? InstanceIds = null);
