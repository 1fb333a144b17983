using Amazon.Runtime;
using AmiRotator.Configuration;
using AmiRotator.Inventory;
using AmiRotator.Reporting;

namespace AmiRotator.Ec2;

/// <summary>
/// Reads one consistent-enough view of EC2 for a pass: a fixed handful of paginated Describe calls per Region,
/// whatever the fleet size. Snapshots are listed before images so that a snapshot can only look orphaned if its
/// image was gone before the images were listed.
/// <para>
/// Each listing stands alone: one that still fails after <see cref="Ec2Calls"/>' retries is recorded in
/// <see cref="Inventory.Inventory.Unread"/> and the rest is read anyway, so a DR Region that cannot be read stops
/// only the copies and the DR retention, not the night's backups. Only the deadline (cancellation) ends the read.
/// </para>
/// </summary>
internal static class InventoryReader
{
    public static async Task<Inventory.Inventory> ReadAsync(
        Settings settings,
        IEc2Region source,
        IEc2Region? dr,
        string accountId,
        ReadNeeds needs,
        Log log,
        CancellationToken ct)
    {
        var unread = new List<ReadFailure>();
        var sourceTask = ReadRegionAsync(source, accountId, needs.Snapshots, InventoryPart.SourceImages, InventoryPart.SourceSnapshots, InventoryPart.SourceLocks, unread, settings.DeadlineSafetyMargin, log, ct);
        var drTask = dr is not null && needs.Dr
            ? ReadRegionAsync(dr, accountId, needs.Snapshots, InventoryPart.DrImages, InventoryPart.DrSnapshots, InventoryPart.DrLocks, unread, settings.DeadlineSafetyMargin, log, ct)
            : Task.FromResult<RegionInventory?>(null);
        var instancesTask = needs.Instances
            ? Read(InventoryPart.Instances, source.Region, "DescribeInstances", () => source.ListInstancesAsync(settings.BackupTag.Key, settings.BackupTag.Value, needs.InstanceIds, ct), unread, settings.DeadlineSafetyMargin, log, ct)
            : Task.FromResult<IReadOnlyList<Ec2Instance>?>([]);

        await Task.WhenAll(sourceTask, drTask, instancesTask).ConfigureAwait(false);
        return new Inventory.Inventory(
            accountId,
            await instancesTask.ConfigureAwait(false) ?? [],
            await sourceTask.ConfigureAwait(false) ?? new RegionInventory(source.Region, [], []),
            await drTask.ConfigureAwait(false),
            [.. unread.OrderBy(u => u.Part)]);
    }

    private static async Task<RegionInventory?> ReadRegionAsync(
        IEc2Region region, string accountId, bool snapshots, InventoryPart imagesPart, InventoryPart snapshotsPart, InventoryPart locksPart, List<ReadFailure> unread, TimeSpan margin, Log log, CancellationToken ct)
    {
        // Locks are read with the snapshots, before the images: a lock set after this read is one DeleteSnapshot
        // refuses, which the executor reports; one seen here keeps its image and snapshot out of the plan.
        var locks = snapshots
            ? await Read(locksPart, region.Region, "DescribeLockedSnapshots", () => region.ListSnapshotLocksAsync(ct), unread, margin, log, ct).ConfigureAwait(false)
            : null;
        var managedSnapshots = snapshots
            ? await Read(snapshotsPart, region.Region, "DescribeSnapshots", () => region.ListManagedSnapshotsAsync(accountId, ct), unread, margin, log, ct).ConfigureAwait(false)
            : [];
        var images = await Read(imagesPart, region.Region, "DescribeImages", () => region.ListOwnedImagesAsync(null, ct), unread, margin, log, ct).ConfigureAwait(false);
        return images is null ? null : new RegionInventory(region.Region, images, managedSnapshots ?? [], locks);
    }

    private static async Task<T?> Read<T>(
        InventoryPart part, string region, string call, Func<Task<T>> read, List<ReadFailure> unread, TimeSpan margin, Log log, CancellationToken ct)
        where T : class
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (Exception e) when (Ec2Calls.GaveUpAtDeadline(e, Ec2CallContext.TimeLeft(), margin, ct))
        {
            // Retried until the deadline neared: no time is left to act on the rest, and nothing has been changed yet.
            throw new DeadlineNearException($"{call} in {region} was still {(Ec2Calls.IsThrottling(e) ? "throttled" : "failing")} ({e.Message}) as the Lambda deadline neared");
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is AmazonServiceException or AmazonClientException or HttpRequestException or IOException or TimeoutException or TaskCanceledException or InvalidOperationException)
        {
            var error = e is AmazonServiceException { ErrorCode: { } code } ? $"{code}: {e.Message}" : e.Message;
            log.Error("inventory read failed", ("part", part.ToString()), ("region", region), ("call", call), ("error", error));
            lock (unread)
            {
                unread.Add(new ReadFailure(part, region, call, error));
            }

            return null;
        }
    }
}

/// <summary>What a pass needs to read. <see cref="InstanceIds"/> lists exactly those instances, tagged or not.</summary>
internal sealed record ReadNeeds(bool Instances, bool Snapshots, bool Dr, IReadOnlyList<string>? InstanceIds = null);
