using AmiRotator.Configuration;
using AmiRotator.Inventory;

namespace AmiRotator.Planning;

/// <summary>
/// Step 4: our managed snapshots that no registered image held when the pass read EC2, since an orphaned snapshot is
/// billed every month. These are only candidates: right before deleting one the executor asks EC2 again, including
/// the Recycle Bin (<see cref="SnapshotGuard"/>).
/// </summary>
internal static class SweepStep
{
    /// <summary>Snapshots younger than this are never called orphans: EC2's listings are eventually consistent.</summary>
    public static readonly TimeSpan OrphanGrace = TimeSpan.FromHours(2);

    public static void Plan(Settings settings, PassScope scope, RegionInventory region, bool isDr, PlanBuilder plan, bool locksUnread = false)
    {
        // Any registered image of the account, managed or not, holds its snapshots.
        var used = region.Images.Where(i => i.HoldsSnapshots).SelectMany(i => i.SnapshotIds).ToHashSet(StringComparer.Ordinal);
        var retiring = plan.Candidates.SelectMany(c => c.SnapshotIds).ToHashSet(StringComparer.Ordinal);
        foreach (var snapshot in region.ManagedSnapshots.OrderBy(s => s.SnapshotId, StringComparer.Ordinal))
        {
            if (!Ownership.OwnsSnapshot(snapshot, settings, isDr) || used.Contains(snapshot.SnapshotId) || retiring.Contains(snapshot.SnapshotId))
            {
                continue;
            }

            if (!scope.Covers(snapshot.InstanceId))
            {
                continue;
            }

            if (snapshot.State == "pending" || scope.Now - snapshot.StartTime < OrphanGrace)
            {
                continue;
            }

            if (locksUnread || region.ActiveLock(snapshot.SnapshotId, scope.Now) is not null)
            {
                // DeleteSnapshot can't remove a locked snapshot [ebs-snapshot-lock]: it is swept once the lock expires.
                plan.Skipped.Add(new Skip(snapshot.SnapshotId, region.Region, snapshot.InstanceId, region.ActiveLock(snapshot.SnapshotId, scope.Now) is { } active
                    ? $"orphan kept: snapshot {active.Describe()}; deleted after the lock expires"
                    : "orphan kept: the Region's snapshot locks could not be read"));
                continue;
            }

            plan.SnapshotDeletions.Add(new SnapshotDeletion(snapshot.SnapshotId, region.Region, snapshot.InstanceId, "orphan: managed snapshot that no registered image uses", snapshot.ImageName));
        }
    }
}
