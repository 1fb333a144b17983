using AmiRotator.Configuration;
using AmiRotator.Inventory;
using AmiRotator.Retention;

namespace AmiRotator.Planning;

/// <summary>
/// Step 3b (DR_SNAPSHOT_LOCK governance or compliance): lock the snapshots of this stack's DR copies, so that a
/// compromised administrator can't delete the last good copies (in compliance mode nobody can, before the lock
/// expires [ebs-snapshot-lock]). A lock can be set while the snapshot is still pending [snapshot-lock-considerations].
/// <para>
/// The lock expires when the copy's DR policy could first retire it (<see cref="GuaranteedDays"/> after the backup
/// was taken), so an ordinary night never meets a locked copy. Where it still does (extra on-demand backups push a
/// count rule, a policy shortened since), <see cref="RetentionStep"/> keeps the copy, saying so, until the lock expires.
/// </para>
/// </summary>
internal static class LockStep
{
    /// <summary>LockSnapshot's shortest lock is one day [API_LockSnapshot, LockDuration min 1].</summary>
    public static readonly TimeSpan ShortestLock = TimeSpan.FromDays(1);

    /// <summary>A lock longer than a year is never derived: an unlimited rule is a reason to keep, not to lock forever.</summary>
    public const int LongestDerivedDays = 365;

    public static void Plan(Settings settings, Inventory.Inventory inventory, PassScope scope, PlanBuilder plan)
    {
        if (settings.DrSnapshotLock is not { } mode || inventory.Dr is not { } dr)
        {
            return;
        }

        if (dr.Locks is null || inventory.Missing(InventoryPart.DrLocks))
        {
            plan.Skipped.Add(new Skip("LockSnapshot", dr.Region, null, "the DR Region's snapshot locks could not be read; copies are locked in a later pass"));
            return;
        }

        var instances = inventory.Instances.ToDictionary(i => i.InstanceId, StringComparer.Ordinal);
        // Runs after retention: a copy it retires now must not be locked first, or its snapshots would outlive it.
        var retiring = plan.Candidates.Select(c => c.ImageId).ToHashSet(StringComparer.Ordinal);
        foreach (var copy in Ownership.OwnedBackups(dr, settings, inventory.AccountId, isDr: true)
                     .Where(c => (c.IsAvailable || c.IsPending) && !retiring.Contains(c.ImageId))
                     .Where(c => scope.Covers(c.InstanceId))
                     .OrderBy(c => c.ImageId, StringComparer.Ordinal))
        {
            var unlocked = copy.SnapshotIds.Where(s => dr.ActiveLock(s, scope.Now) is null).Order(StringComparer.Ordinal).ToList();
            if (unlocked.Count == 0)
            {
                continue;
            }

            var judgement = RecordedPolicies.For(copy, settings, copy.InstanceId is { } id ? instances.GetValueOrDefault(id) : null, isDr: true);
            if (judgement.Policy is not { } policy)
            {
                plan.Skipped.Add(new Skip(copy.ImageId, dr.Region, copy.InstanceId, $"not locked: {judgement.Problem}"));
                continue;
            }

            if (copy.BackupTime == DateTimeOffset.MinValue)
            {
                // No date to count the lock from (and DateTimeOffset.MinValue plus days would not even be a date).
                plan.Skipped.Add(new Skip(copy.ImageId, dr.Region, copy.InstanceId, "not locked: the backup's creation date is unknown"));
                continue;
            }

            var days = GuaranteedDays(policy);
            var expires = copy.BackupTime + TimeSpan.FromDays(days);
            if (days < 1 || expires < scope.Now + ShortestLock)
            {
                plan.Skipped.Add(new Skip(copy.ImageId, dr.Region, copy.InstanceId,
                    $"not locked: its DR policy {policy} may retire it {(days < 1 ? "within a day" : $"on {Iso8601.Seconds(expires)}")}, and a lock lasts at least a day"));
                continue;
            }

            foreach (var snapshot in unlocked)
            {
                plan.Locks.Add(new LockAction(snapshot, dr.Region, copy.ImageId, copy.InstanceId, mode, expires,
                    $"DR copy {copy.ImageId}: locked ({mode}) until {Iso8601.Seconds(expires)}, {days} day(s) after the backup, as long as its DR policy {policy} is sure to keep it"));
            }
        }
    }

    /// <summary>
    /// The whole days <paramref name="policy"/> is sure to keep every nightly backup, less one day of margin. Only
    /// the rules that keep each nightly backup count: keep-last, keep-hourly and keep-daily (restic counts only the
    /// buckets that hold a backup, so n of them keep n nights) and keep-within, -within-hourly and -within-daily. A
    /// weekly, monthly or yearly rule keeps one backup of its period, not every one.
    /// </summary>
    public static int GuaranteedDays(RetentionPolicy policy)
    {
        var days = new List<int>();
        foreach (var count in new[] { policy.Last, policy.Hourly, policy.Daily })
        {
            if (count is not null)
            {
                days.Add(count.Limit is { } n ? n - 1 : LongestDerivedDays);
            }
        }

        foreach (var window in new[] { policy.Within, policy.WithinHourly, policy.WithinDaily })
        {
            if (window is not null)
            {
                // The shortest a window can be: a month is at least 28 days and a year at least 365.
                days.Add((window.Years * 365) + (window.Months * 28) + window.Days + (window.Hours / 24) - 1);
            }
        }

        return days.Count == 0 ? 0 : Math.Min(LongestDerivedDays, days.Max());
    }
}
