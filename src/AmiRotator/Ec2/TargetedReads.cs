using AmiRotator.Configuration;
using AmiRotator.Inventory;
using AmiRotator.Planning;

namespace AmiRotator.Ec2;

/// <summary>
/// The reads of an event batch and of one phase of a night: filtered DescribeImages calls for exactly the images,
/// instances and scheduled time involved, never a listing of the whole account. What they return is a partial
/// inventory, complete only for what it names, so it feeds only the steps that judge those: backups of one
/// scheduled time, and DR copies of the instances involved. Retention and the orphan sweep always read everything.
/// </summary>
internal static class TargetedReads
{
    /// <summary>
    /// The source backups of the instances involved (all of them: whether a backup belongs in the DR Region depends
    /// on its siblings), their DR copies, every managed copy still pending in the DR Region (the copies in flight,
    /// whoever started them), and the instances themselves where a backup recorded no DR policy.
    /// </summary>
    public static async Task<Inventory.Inventory> ForCopiesAsync(
        Settings settings, IEc2Region source, IEc2Region dr, string accountId, IReadOnlyList<string> instanceIds, CancellationToken ct)
    {
        var sourceTask = source.FindImagesAsync(new ImageQuery(InstanceIds: instanceIds), ct);
        var copiesTask = dr.FindImagesAsync(new ImageQuery(InstanceIds: instanceIds), ct);
        var inFlightTask = dr.FindImagesAsync(ImageQuery.PendingManaged, ct);
        await Task.WhenAll(sourceTask, copiesTask, inFlightTask).ConfigureAwait(false);
        return await WithInstancesAsync(settings, source, accountId, await sourceTask.ConfigureAwait(false), Union(await copiesTask.ConfigureAwait(false), await inFlightTask.ConfigureAwait(false)), dr.Region, ct).ConfigureAwait(false);
    }

    /// <summary>The night's backup phase: the tagged instances, and the backups already made for this scheduled time.</summary>
    public static async Task<Inventory.Inventory> ForBackupsAsync(Settings settings, IEc2Region source, string accountId, DateTimeOffset scheduledTime, CancellationToken ct)
    {
        var instancesTask = source.ListInstancesAsync(settings.BackupTag.Key, settings.BackupTag.Value, null, ct);
        var tonightTask = source.FindImagesAsync(ImageQuery.ScheduledAt(BackupNaming.TimeTag(scheduledTime)), ct);
        await Task.WhenAll(instancesTask, tonightTask).ConfigureAwait(false);
        return new Inventory.Inventory(accountId, await instancesTask.ConfigureAwait(false), new RegionInventory(source.Region, await tonightTask.ConfigureAwait(false), []), null);
    }

    /// <summary>The night's copy phase: this scheduled time's backups, their copies, and the copies in flight.</summary>
    public static async Task<Inventory.Inventory> ForTonightsCopiesAsync(
        Settings settings, IEc2Region source, IEc2Region dr, string accountId, DateTimeOffset scheduledTime, CancellationToken ct)
    {
        var tonight = ImageQuery.ScheduledAt(BackupNaming.TimeTag(scheduledTime));
        var sourceTask = source.FindImagesAsync(tonight, ct);
        var copiesTask = dr.FindImagesAsync(tonight, ct);
        var inFlightTask = dr.FindImagesAsync(ImageQuery.PendingManaged, ct);
        await Task.WhenAll(sourceTask, copiesTask, inFlightTask).ConfigureAwait(false);
        return await WithInstancesAsync(settings, source, accountId, await sourceTask.ConfigureAwait(false), Union(await copiesTask.ConfigureAwait(false), await inFlightTask.ConfigureAwait(false)), dr.Region, ct).ConfigureAwait(false);
    }

    // A copy records the DR policy its source recorded; only a source without one needs its instance (an override
    // tag there is a promise the copy must keep), so only those instances are read.
    private static async Task<Inventory.Inventory> WithInstancesAsync(
        Settings settings, IEc2Region source, string accountId, IReadOnlyList<Ec2Image> sourceImages, IReadOnlyList<Ec2Image> drImages, string drRegion, CancellationToken ct)
    {
        var needed = sourceImages.Where(i => i.IsManaged && i.RecordedDrPolicy is null && i.InstanceId is not null).Select(i => i.InstanceId!).Distinct(StringComparer.Ordinal).ToList();
        var instances = needed.Count == 0 ? [] : await source.ListInstancesAsync(settings.BackupTag.Key, settings.BackupTag.Value, needed, ct).ConfigureAwait(false);
        return new Inventory.Inventory(accountId, instances, new RegionInventory(source.Region, sourceImages, []), new RegionInventory(drRegion, drImages, []));
    }

    private static List<Ec2Image> Union(IReadOnlyList<Ec2Image> first, IReadOnlyList<Ec2Image> second) =>
        [.. first.Concat(second).DistinctBy(i => i.ImageId, StringComparer.Ordinal)];
}
