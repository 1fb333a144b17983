using AmiRotator.Configuration;
using AmiRotator.Planning;

namespace AmiRotator.Reporting;

/// <summary>Recovery points (newest available backup per protected instance and Region), judged against RPO_HOURS. Pure.</summary>
internal static class RecoveryReport
{
    public static IReadOnlyList<RecoveryPoint> Build(Settings settings, Inventory.Inventory inventory, IReadOnlyList<string>? only, DateTimeOffset now)
    {
        var protectedInstances = inventory.Instances
            .Where(i => i.Tags.GetValueOrDefault(settings.BackupTag.Key) == settings.BackupTag.Value)
            .Where(i => only is null || only.Contains(i.InstanceId))
            .OrderBy(i => i.InstanceId, StringComparer.Ordinal)
            .ToList();
        var regions = new[] { (inventory.Source, false), (inventory.Dr, true) };
        var result = new List<RecoveryPoint>();
        foreach (var instance in protectedInstances)
        {
            foreach (var (region, isDr) in regions)
            {
                if (region is null)
                {
                    continue;
                }

                // Backups made before owners were recorded are recovery points all the same.
                var newest = Ownership.NewestFirst(Ownership.OwnedBackups(region, settings, inventory.AccountId, isDr)
                    .Concat(Ownership.LegacyBackups(region, settings, inventory.AccountId, isDr))
                    .Where(i => i.IsAvailable && i.InstanceId == instance.InstanceId))
                    .FirstOrDefault();
                if (newest is null)
                {
                    result.Add(new RecoveryPoint(instance.InstanceId, region.Region, instance.Name, null, null, null, true, "no available backup"));
                    continue;
                }

                var age = Math.Round((now - newest.BackupTime).TotalHours, 1);
                var stale = age > settings.RpoHours;
                result.Add(new RecoveryPoint(
                    instance.InstanceId, region.Region, instance.Name, newest.ImageId,
                    Iso8601.Seconds(newest.BackupTime),
                    age, stale, stale ? $"older than RPO_HOURS={settings.RpoHours}" : "ok"));
            }
        }

        return result;
    }

    /// <summary>
    /// Each Region's recovery health, for the OldestRecoveryPointHours and StaleRecoveryPoints metrics: the worst age
    /// among the protected instances' newest available backups, and how many are stale or missing. An instance with
    /// no available backup at all is unprotected: it counts as stale, and as old as the RPO allows plus one hour at
    /// least, so the age alarm sees it too. A Region that could not be read has no health (no data, not "healthy").
    /// </summary>
    /// <param name="points">Every protected instance's recovery points: <see cref="Build"/> without a filter.</param>
    public static IReadOnlyList<RecoveryHealth> Health(Settings settings, Inventory.Inventory inventory, IReadOnlyList<RecoveryPoint> points)
    {
        var regions = new List<(string Region, bool Unread)> { (inventory.Source.Region, inventory.Missing(Inventory.InventoryPart.SourceImages)) };
        if (inventory.Dr is { } dr)
        {
            regions.Add((dr.Region, inventory.Missing(Inventory.InventoryPart.DrImages)));
        }

        if (inventory.Missing(Inventory.InventoryPart.Instances))
        {
            return [];
        }

        return [.. regions.Where(r => !r.Unread).Select(r =>
        {
            var here = points.Where(p => p.Region == r.Region).ToList();
            var oldest = here.Count == 0 ? 0 : here.Max(p => p.AgeHours ?? Math.Max(settings.RpoHours + 1, 0));
            return new RecoveryHealth(r.Region, here.Count, oldest, here.Count(p => p.Stale));
        })];
    }
}

/// <summary>One Region's recovery health: protected instances, the oldest newest-backup age, and how many are stale.</summary>
internal sealed record RecoveryHealth(string Region, int Protected, double OldestHours, int Stale);
