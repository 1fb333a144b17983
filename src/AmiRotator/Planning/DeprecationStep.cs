using AmiRotator.Configuration;
using AmiRotator.Inventory;

namespace AmiRotator.Planning;

/// <summary>
/// Step 3c (DEPRECATE_AFTER_DAYS above 0): deprecate this stack's backups and DR copies once they are older than that,
/// so that nobody launches a stale backup by accident. A deprecated AMI still launches by id, and its owner still sees
/// it in DescribeImages [ami-deprecate]: retention, restores and drills are unchanged. Each image is deprecated once.
/// </summary>
internal static class DeprecationStep
{
    public static void Plan(Settings settings, Inventory.Inventory inventory, PassScope scope, PlanBuilder plan)
    {
        if (settings.DeprecateAfterDays <= 0)
        {
            return;
        }

        var after = TimeSpan.FromDays(settings.DeprecateAfterDays);
        // "You can't specify a date in the past", and EC2 rounds the seconds to the nearest minute
        // [API_EnableImageDeprecation]: the next whole minute but one is in the future whatever the rounding.
        var at = NextMinute(scope.Now).AddMinutes(1);
        var retiring = plan.Candidates.Select(c => c.ImageId).ToHashSet(StringComparer.Ordinal);
        foreach (var (region, isDr) in new[] { (inventory.Source, false), (inventory.Dr, true) })
        {
            if (region is null)
            {
                continue;
            }

            foreach (var image in Ownership.OwnedBackups(region, settings, inventory.AccountId, isDr)
                         .Where(i => i.IsAvailable && i.DeprecationTime is null && !retiring.Contains(i.ImageId) && i.BackupTime != DateTimeOffset.MinValue && scope.Now - i.BackupTime >= after)
                         .Where(i => scope.Covers(i.InstanceId))
                         .OrderBy(i => i.ImageId, StringComparer.Ordinal))
            {
                plan.Deprecations.Add(new DeprecateAction(image.ImageId, region.Region, image.InstanceId, at,
                    $"taken {Iso8601.Seconds(image.BackupTime)}, more than DEPRECATE_AFTER_DAYS={settings.DeprecateAfterDays} days ago"));
            }
        }
    }

    private static DateTimeOffset NextMinute(DateTimeOffset now)
    {
        var utc = now.ToUniversalTime();
        var floor = new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, utc.Minute, 0, TimeSpan.Zero);
        return floor.AddMinutes(1);
    }
}
