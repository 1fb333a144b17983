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
}
