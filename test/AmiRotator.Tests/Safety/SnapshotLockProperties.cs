using AmiRotator.Inventory;
using AmiRotator.Planning;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace AmiRotator.Tests.Safety;

/// <summary>
/// Snapshot locks over generated worlds. A locked snapshot can't be deleted by anyone [ebs-snapshot-lock]: retiring its
/// image (DeregisterImage with DeleteAssociatedSnapshots) would orphan it, and sweeping it would fail. Each world gets
/// locks on a deterministic share of its snapshots, some active, some expired.
/// </summary>
public sealed class SnapshotLockProperties
{
    private const int Cases = 500;

    [Property(MaxTest = Cases)]
    public Property Build_NeverRetiresAnImageWithAnActiveLock_AndSaysWhyItIsKept() => ForEveryLockedPlan((world, locks, plan) =>
    {
        bool Locked(string snapshotId) => locks.TryGetValue(snapshotId, out var l) && l.IsActiveAt(SafetyWorld.Now);
        foreach (var retire in plan.Retirements.Concat(plan.Candidates))
        {
            Assert.False(retire.SnapshotIds.Any(Locked), $"{retire.ImageId} is retired with a locked snapshot");
        }

        // Every locked backup that retention judges says it is locked (those it can't judge at all say why not).
        var retired = plan.Retirements.Select(r => r.ImageId).ToHashSet(StringComparer.Ordinal);
        var settings = world.Settings();
        foreach (var image in world.Images.Where(i => SafetyWorld.IsOwnedBackup(i) && i.IsAvailable && i.SnapshotIds.Any(Locked)))
        {
            Assert.DoesNotContain(image.ImageId, retired);
            var judged = image.InstanceId is { } id && image.CreationDate != DateTimeOffset.MinValue
                && RecordedPolicies.For(image, settings, world.Instances.FirstOrDefault(i => i.InstanceId == id), image.Region == SafetyWorld.Dr).Policy is not null;
            var kept = Assert.Single(plan.Kept, k => k.ImageId == image.ImageId);
            Assert.True(!judged || kept.Reasons.Any(r => r.Contains("locked", StringComparison.Ordinal)), $"{image.ImageId} kept for {string.Join("; ", kept.Reasons)}");
        }
    });

    [Property(MaxTest = Cases)]
    public Property Build_NeverSweepsALockedSnapshot() => ForEveryLockedPlan((world, locks, plan) =>
        Assert.All(plan.SnapshotDeletions, d => Assert.False(locks.TryGetValue(d.SnapshotId, out var l) && l.IsActiveAt(SafetyWorld.Now), $"{d.SnapshotId} in {d.Region} is locked ({d.Reason}); snapshot regions: {string.Join(",", world.Snapshots.Where(s => s.SnapshotId == d.SnapshotId).Select(s => s.Region))}")));

    [Property(MaxTest = Cases)]
    public Property Build_LocksOnlyUnlockedSnapshotsOfOurDrCopiesThatStay_UntilADayAfterNowAtLeast() => ForEveryLockedPlan((world, locks, plan) =>
    {
        var retiring = plan.Candidates.Select(c => c.ImageId).ToHashSet(StringComparer.Ordinal);
        foreach (var action in plan.Locks ?? [])
        {
            var copy = world.Image(action.ImageId);
            Assert.Equal(SafetyWorld.Dr, action.Region);
            Assert.True(SafetyWorld.IsOwnedBackup(copy) && copy.Region == SafetyWorld.Dr, $"{copy.ImageId} is not our DR copy");
            Assert.Contains(action.SnapshotId, copy.SnapshotIds);
            Assert.False(locks.TryGetValue(action.SnapshotId, out var l) && l.IsActiveAt(SafetyWorld.Now), $"{action.SnapshotId} is locked already");
            Assert.DoesNotContain(copy.ImageId, retiring);
            Assert.True(action.ExpiresAt >= SafetyWorld.Now + LockStep.ShortestLock, $"{action.SnapshotId} locked only until {action.ExpiresAt:O}");
            Assert.Equal("compliance", action.Mode);
        }
    });

    [Property(MaxTest = Cases)]
    public Property Build_WithTheLocksUnread_RetiresAndSweepsNothing() => Prop.ForAll(SafetyWorlds.Arbitrary, world =>
    {
        var settings = world.Settings() with { DrSnapshotLock = "compliance" };
        var inventory = world.Inventory() with { Unread = [new ReadFailure(InventoryPart.DrLocks, SafetyWorld.Dr, "DescribeLockedSnapshots", "UnauthorizedOperation"), new ReadFailure(InventoryPart.SourceLocks, SafetyWorld.Source, "DescribeLockedSnapshots", "UnauthorizedOperation")] };
        var plan = Planner.Build(settings, inventory, SafetyWorld.PruneScope(SafetyWorld.Now), world.Truth());
        Assert.Empty(plan.Retirements);
        Assert.Empty(plan.SnapshotDeletions);
        Assert.Empty(plan.Locks ?? []);
    });

    /// <summary>Every third snapshot (by id) locked: two of three of those still active, the third expired an hour ago.</summary>
    internal static IReadOnlyDictionary<string, SnapshotLock> LocksFor(SafetyWorld world)
    {
        var locks = new Dictionary<string, SnapshotLock>(StringComparer.Ordinal);
        foreach (var (snapshot, n) in world.Snapshots.OrderBy(s => s.SnapshotId, StringComparer.Ordinal).Select((s, n) => (s, n)))
        {
            if (n % 3 == 0)
            {
                locks[snapshot.SnapshotId] = (n / 3) % 3 == 2
                    ? new SnapshotLock(snapshot.SnapshotId, SnapshotLock.Expired, SafetyWorld.Now.AddHours(-1))
                    : new SnapshotLock(snapshot.SnapshotId, n % 2 == 0 ? "compliance" : "governance", SafetyWorld.Now.AddDays(3));
            }
        }

        return locks;
    }

    private static Property ForEveryLockedPlan(Action<SafetyWorld, IReadOnlyDictionary<string, SnapshotLock>, Plan> check) =>
        Prop.ForAll(SafetyWorlds.Arbitrary, world =>
        {
            var settings = world.Settings() with { DrSnapshotLock = "compliance" };
            var locks = LocksFor(world);
            var plain = world.Inventory();
            var inventory = plain with
            {
                Source = plain.Source with { Locks = Only(locks, plain.Source) },
                Dr = plain.Dr! with { Locks = Only(locks, plain.Dr!) },
            };
            foreach (var references in new[] { null, world.Truth(), world.AsGenerated() })
            {
                check(world, locks, Planner.Build(settings, inventory, SafetyWorld.PruneScope(SafetyWorld.Now), references));
            }
        });

    private static Dictionary<string, SnapshotLock> Only(IReadOnlyDictionary<string, SnapshotLock> locks, RegionInventory region)
    {
        // DescribeLockedSnapshots is Regional: a Region lists only its own snapshots' locks. The world's snapshots
        // are in the images' Regions; an image's snapshot ids name them.
        var ids = region.Images.SelectMany(i => i.SnapshotIds).Concat(region.ManagedSnapshots.Select(s => s.SnapshotId)).ToHashSet(StringComparer.Ordinal);
        return locks.Where(kv => ids.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
    }
}
