using AmiRotator.Ec2;
using AmiRotator.Inventory;
using AmiRotator.Planning;
using AmiRotator.Retention;
using Xunit;

namespace AmiRotator.Tests.PlanSteps;

/// <summary>
/// The planner's small pure pieces that mutation testing found unguarded: names and their limits, which instances a
/// pass covers, the last check before DeleteSnapshot, the lock length a policy guarantees, the deletion budget, and
/// what each unread part of the inventory leaves undone.
/// </summary>
public sealed class NamingAndGuardMutationTests
{
    private const string InstanceId = PlanningCase.InstanceId;
    private static readonly DateTimeOffset Now = PlanningCase.Now;

    [Fact]
    public void Manual_IsNamedAfterTheToken_ElseTheRequestId_ElseTheSecond()
    {
        var byToken = BackupNaming.Manual(InstanceId, Now, "owner", requestId: "x", idempotencyToken: "x");
        var byRequest = BackupNaming.Manual(InstanceId, Now, "owner", requestId: "x");
        var bySecond = BackupNaming.Manual(InstanceId, Now.AddSeconds(7), "owner");

        Assert.Matches($"^ami-rotator-{InstanceId}-manual-[0-9a-f]{{12}}-o[0-9a-f]{{8}}$", byToken);
        Assert.Matches($"^ami-rotator-{InstanceId}-manual-[0-9a-f]{{12}}-o[0-9a-f]{{8}}$", byRequest);
        // A token and a request id that happen to read the same must not name the same backup.
        Assert.NotEqual(byToken, byRequest);
        Assert.Matches($"^ami-rotator-{InstanceId}-20261126T030007Z-manual-o[0-9a-f]{{8}}$", bySecond);
    }

    [Fact]
    public void Manual_WithAnotherToken_IsAnotherBackup()
    {
        // A new token is how a person asks for a second backup within the manual-run window.
        Assert.NotEqual(
            BackupNaming.Manual(InstanceId, Now, "owner", idempotencyToken: "change-4711"),
            BackupNaming.Manual(InstanceId, Now, "owner", idempotencyToken: "change-4712"));
    }

    [Fact]
    public void Scheduled_EndsWithTheOwnersMark_SoTwoStacksNeverCollide()
    {
        var mine = BackupNaming.Scheduled(InstanceId, Now, "stack-a");
        var theirs = BackupNaming.Scheduled(InstanceId, Now, "stack-b");

        Assert.Matches($"^ami-rotator-{InstanceId}-20261126T0300Z-o[0-9a-f]{{8}}$", mine);
        Assert.NotEqual(mine, theirs);
    }

    [Fact]
    public void Fit_KeepsANameOfExactlyTheLimit_AndCutsALongerOne()
    {
        var limit = new string('n', BackupNaming.MaxNameLength);

        Assert.Equal(limit, BackupNaming.Fit(limit));
        Assert.Equal(limit, BackupNaming.Fit(limit + "x"));
    }

    [Theory]
    [InlineData(true, false, false, true, true)]
    [InlineData(true, false, false, false, false)]
    [InlineData(true, true, false, true, false)]
    [InlineData(true, false, true, true, false)]
    [InlineData(false, false, false, true, false)]
    public void OnDemand_IsABackupAloneThatNamesItsInstances(bool backup, bool copy, bool prune, bool named, bool onDemand)
    {
        var scope = new PassScope(backup, copy, prune, Now, InstanceIds: named ? new HashSet<string>(StringComparer.Ordinal) { InstanceId } : null);

        Assert.Equal(onDemand, scope.OnDemand);
    }

    [Fact]
    public void Covers_WhenThePassNamesInstances_CoversOnlyThose_AndNeverABackupWithoutAnInstance()
    {
        var scope = new PassScope(Backup: false, Copy: false, Prune: true, Now, InstanceIds: new HashSet<string>(StringComparer.Ordinal) { InstanceId });

        Assert.True(scope.Covers(InstanceId));
        Assert.False(scope.Covers("i-0fedcba9876543210"));
        Assert.False(scope.Covers(null));
        Assert.True(PlanningCase.Prune.Covers(null));
    }

    [Fact]
    public void WhyKeep_WhenRegisteredImagesUseTheSnapshot_NamesThemInOrder()
    {
        var holders = new SnapshotHolders(new Dictionary<string, IReadOnlyList<string>> { ["snap-1"] = ["ami-0b", "ami-0a"] }, []);

        Assert.Equal("still used by ami-0a, ami-0b", SnapshotGuard.WhyKeep("snap-1", "name", InstanceId, holders));
    }

    [Fact]
    public void WhyKeep_WhenItsImageIsInTheRecycleBin_KeepsItUntilTheImageLeaves()
    {
        var until = new SnapshotHolders(new Dictionary<string, IReadOnlyList<string>>(), [new BinnedImage("ami-0bin", "backup-1", Now.AddDays(3))]);
        var open = new SnapshotHolders(new Dictionary<string, IReadOnlyList<string>>(), [new BinnedImage("ami-0bin", "backup-1", null)]);

        Assert.Equal("its image ami-0bin is in the Recycle Bin until 2026-11-29T03:00:00Z; deleting it would make that image unrecoverable", SnapshotGuard.WhyKeep("snap-1", "backup-1", InstanceId, until));
        Assert.Equal("its image ami-0bin is in the Recycle Bin; deleting it would make that image unrecoverable", SnapshotGuard.WhyKeep("snap-1", "backup-1", InstanceId, open));
        Assert.Null(SnapshotGuard.WhyKeep("snap-1", "backup-2", InstanceId, until));
    }

    [Fact]
    public void WhyKeep_WhenTheSnapshotNamesNoImage_AnyBinnedBackupOfItsInstanceKeepsIt()
    {
        var binned = new BinnedImage("ami-0bin", $"ami-rotator-{InstanceId}-20261101T0300Z-o12345678", null);
        var holders = new SnapshotHolders(new Dictionary<string, IReadOnlyList<string>>(), [binned]);
        var why = $"it doesn't say which image it belongs to, and ami-0bin ({binned.Name}) is in the Recycle Bin";

        Assert.Equal(why, SnapshotGuard.WhyKeep("snap-1", null, InstanceId, holders));
        Assert.Null(SnapshotGuard.WhyKeep("snap-1", null, "i-0fedcba9876543210", holders));
        // Without an instance, any binned backup of ours may be its image.
        Assert.Equal(why, SnapshotGuard.WhyKeep("snap-1", null, null, holders));
        Assert.Null(SnapshotGuard.WhyKeep("snap-1", null, null, new SnapshotHolders(new Dictionary<string, IReadOnlyList<string>>(), [new BinnedImage("ami-0bin", "golden-image", null)])));
    }

    [Theory]
    [InlineData("keep-within=3d48h", 4)]
    [InlineData("keep-last=3,keep-daily=10", 9)]
    [InlineData("keep-daily=10,keep-last=3", 9)]
    public void GuaranteedDays_TakesTheLongestRule_CountingWholeDaysOfHours(string policy, int days) =>
        Assert.Equal(days, LockStep.GuaranteedDays(RetentionPolicy.Parse(policy)));

    [Fact]
    public void AutoBudget_IsTenPlusTwoPerInstanceWithBackups()
    {
        var world = new PlanningCase();
        world.AddBackup("ami-0000000000000001", Now.AddDays(-1));
        world.AddBackup("ami-0000000000000002", Now.AddDays(-2));
        world.AddBackup("ami-0000000000000003", Now.AddDays(-1), instanceId: "i-01234567");
        world.AddBackup("ami-0000000000000004", Now.AddDays(-1), instanceId: "i-89abcdef");
        world.AddBackup("ami-0000000000000005", Now.AddDays(-1), instanceId: null);

        Assert.Equal(16, Planner.AutoBudget(world.Inventory().Source, world.Settings(), PlanningCase.Account, isDr: false));
    }

    [Theory]
    [InlineData((int)InventoryPart.SourceImages, "nothing was planned: every step judges the source Region's backups")]
    [InlineData((int)InventoryPart.Instances, "no backups, DR copies or adoptions this pass; retention went on (a backup without a recorded policy is kept)")]
    [InlineData((int)InventoryPart.SourceSnapshots, "no orphaned snapshots swept and no adoptions in this Region this pass")]
    [InlineData((int)InventoryPart.DrSnapshots, "no orphaned snapshots swept and no adoptions in this Region this pass")]
    [InlineData((int)InventoryPart.SourceLocks, "no retirements, orphan sweeps or snapshot locks in this Region this pass: a locked snapshot can't be deleted")]
    [InlineData((int)InventoryPart.DrLocks, "no retirements, orphan sweeps or snapshot locks in this Region this pass: a locked snapshot can't be deleted")]
    [InlineData((int)InventoryPart.DrImages, "no DR copies and no DR retention this pass; source backups that retention would retire were kept, as a copy of them may be in progress")]
    [InlineData(99, "the steps that need it were skipped")]
    public void WhatWaits_SaysWhatEachUnreadPartLeavesUndone(int part, string waits) =>
        Assert.Equal(waits, Planner.WhatWaits((InventoryPart)part));
}
