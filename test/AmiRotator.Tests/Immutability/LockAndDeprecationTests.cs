using AmiRotator.Inventory;
using AmiRotator.Invocation;
using AmiRotator.Planning;
using AmiRotator.Retention;
using AmiRotator.Tests.Execution;
using Xunit;

namespace AmiRotator.Tests.Immutability;

/// <summary>
/// Issue 12's immutable DR copies and deprecation, through a whole pass over the EC2 fake (FakeEc2.Locks.cs follows
/// [API_LockSnapshot], [API_DescribeLockedSnapshots] and [API_EnableImageDeprecation]).
/// </summary>
public sealed class LockAndDeprecationTests
{
    [Theory]
    [InlineData("keep-daily=7,keep-weekly=4", 6)]
    [InlineData("keep-last=3", 2)]
    [InlineData("keep-hourly=48", 47)]
    [InlineData("keep-within=30d", 29)]
    [InlineData("keep-within-daily=1y", 364)]
    [InlineData("keep-within=2m", 55)]
    [InlineData("keep-weekly=4,keep-monthly=12", 0)]
    [InlineData("keep-daily=2000", LockStep.LongestDerivedDays)]
    public void GuaranteedDays_CountsOnlyTheRulesThatKeepEveryNightlyBackup_LessADay(string policy, int days) =>
        Assert.Equal(days, LockStep.GuaranteedDays(RetentionPolicy.Parse(policy)));

    [Fact]
    public async Task Prune_LocksTheDrCopysSnapshotsUntilItsPolicyCouldRetireIt_Once()
    {
        var pass = new PassFixture(("RETENTION", "keep-last=5"), ("DR_RETENTION", "keep-daily=5"), ("DR_SNAPSHOT_LOCK", "compliance"));
        var instance = pass.AddProtectedInstance("web");
        var taken = PassFixture.ScheduledTime.AddHours(-24);
        var backup = pass.AddBackup(instance, taken);
        await pass.RunAsync(new Request(RequestKind.Copy, DryRun: false));
        pass.Ec2.CompletePendingImages();
        var copy = Assert.Single(pass.Ec2.Images(PassFixture.Dr));
        var snapshot = Assert.Single(copy.SnapshotIds);

        var prune = await pass.RunAsync(new Request(RequestKind.Prune, DryRun: false));

        var locked = Assert.Single(prune.Locked!);
        Assert.Equal((snapshot, copy.ImageId), (locked.SnapshotId, locked.ImageId));
        Assert.Contains("keep-daily=5", locked.Reason, StringComparison.Ordinal);
        // keep-daily=5 keeps every nightly backup 5 nights: the lock ends 4 days after the backup was taken.
        Assert.Equal(("compliance", taken.AddDays(4)), pass.Ec2.LockOf(snapshot));
        Assert.NotEqual(backup, copy.ImageId);

        var again = await pass.RunAsync(new Request(RequestKind.Prune, DryRun: false));
        Assert.Null(again.Locked);
        Assert.Equal(1, pass.Ec2.Calls.Count(c => c.Action == "LockSnapshot"));
    }

    [Fact]
    public async Task Prune_DoesNotLockACopyItsPolicyMayRetireWithinADay_AndSaysSo()
    {
        // keep-daily=3 over a backup taken 24 h ago: the lock would end 2 days after it, under a day from now.
        var pass = new PassFixture(("RETENTION", "keep-last=5"), ("DR_RETENTION", "keep-daily=3"), ("DR_SNAPSHOT_LOCK", "governance"));
        pass.AddBackup(pass.AddProtectedInstance("web"), PassFixture.ScheduledTime.AddHours(-24));
        await pass.RunAsync(new Request(RequestKind.Copy, DryRun: false));
        pass.Ec2.CompletePendingImages();
        var copy = Assert.Single(pass.Ec2.Images(PassFixture.Dr));

        var prune = await pass.RunAsync(new Request(RequestKind.Prune, DryRun: false));

        Assert.Null(prune.Locked);
        Assert.Contains(prune.Skipped, s => s.Subject == copy.ImageId && s.Reason.Contains("a lock lasts at least a day", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Prune_WithoutTheSetting_LocksNothing()
    {
        var pass = new PassFixture(("RETENTION", "keep-last=5"), ("DR_RETENTION", "keep-daily=3"));
        pass.AddBackup(pass.AddProtectedInstance("web"), PassFixture.ScheduledTime.AddHours(-24));
        await pass.RunAsync(new Request(RequestKind.Copy, DryRun: false));
        pass.Ec2.CompletePendingImages();

        var prune = await pass.RunAsync(new Request(RequestKind.Prune, DryRun: false));

        Assert.Null(prune.Locked);
        Assert.DoesNotContain(pass.Ec2.Calls, c => c.Action == "LockSnapshot");
    }

    [Fact]
    public async Task Prune_KeepsACopyRetentionWouldRetire_WhileItsSnapshotIsLocked_AndSaysUntilWhen()
    {
        var pass = new PassFixture(("RETENTION", "keep-last=5"), ("DR_RETENTION", "keep-last=1"));
        var instance = pass.AddProtectedInstance("web");
        pass.AddBackup(instance, PassFixture.ScheduledTime.AddDays(-2));
        pass.AddBackup(instance, PassFixture.ScheduledTime.AddDays(-1));
        pass.Ec2.NewCopyState = ImageStates.Available;
        await pass.RunAsync(new Request(RequestKind.Copy, DryRun: false));
        var older = pass.Ec2.Images(PassFixture.Dr).OrderBy(i => i.Tags[ManagedTags.BackupTime], StringComparer.Ordinal).ToList();
        Assert.Single(older); // keep-last=1: only the newest is copied
        // Someone locked the copy; a newer backup's copy now makes DR retention want it gone.
        var lockedCopy = older[0];
        var until = PassFixture.ScheduledTime.AddDays(5);
        pass.Ec2.SeedLock(lockedCopy.SnapshotIds[0], "governance", until);
        pass.AddBackup(instance, PassFixture.ScheduledTime.AddHours(-1));
        await pass.RunAsync(new Request(RequestKind.Copy, DryRun: false));

        var prune = await pass.RunAsync(new Request(RequestKind.Prune, DryRun: false));

        Assert.DoesNotContain(prune.Retired, r => r.ImageId == lockedCopy.ImageId);
        var kept = Assert.Single(prune.Kept, k => k.ImageId == lockedCopy.ImageId);
        Assert.Contains(kept.Reasons!, r => r.Contains($"{lockedCopy.SnapshotIds[0]} locked (governance) until {Iso8601.Seconds(until)}", StringComparison.Ordinal));
        Assert.DoesNotContain(pass.Ec2.Calls, c => c.Action == "DeregisterImage" && c.Subject == lockedCopy.ImageId);

        // Once the lock has expired, the next prune retires it and deletes its snapshot.
        pass.Clock.Advance(TimeSpan.FromDays(6));
        var later = await pass.RunAsync(new Request(RequestKind.Prune, DryRun: false));
        Assert.Contains(later.Retired, r => r.ImageId == lockedCopy.ImageId);
        Assert.Contains(later.DeletedSnapshots, s => s.SnapshotId == lockedCopy.SnapshotIds[0]);
    }

    [Fact]
    public async Task Prune_DeprecatesOnlyBackupsOlderThanTheSetting_OnceEach_AtTheNextMinuteButOne()
    {
        var pass = new PassFixture(("RETENTION", "keep-last=5"), ("DEPRECATE_AFTER_DAYS", "10"));
        var instance = pass.AddProtectedInstance("web");
        var old = pass.AddBackup(instance, PassFixture.ScheduledTime.AddDays(-12));
        var young = pass.AddBackup(instance, PassFixture.ScheduledTime.AddDays(-3));

        var prune = await pass.RunAsync(new Request(RequestKind.Prune, DryRun: false));

        var deprecated = Assert.Single(prune.Deprecated!);
        Assert.Equal(old, deprecated.ImageId);
        Assert.Contains("DEPRECATE_AFTER_DAYS=10", Assert.Single(deprecated.Reasons!), StringComparison.Ordinal);
        // The clock reads 03:00:04: the next whole minute is 03:01, one more is 03:02, which no rounding puts in the past.
        Assert.Equal(PassFixture.ScheduledTime.AddMinutes(2), pass.Ec2.DeprecationOf(old));
        Assert.Null(pass.Ec2.DeprecationOf(young));

        var again = await pass.RunAsync(new Request(RequestKind.Prune, DryRun: false));
        Assert.Null(again.Deprecated);
    }
}
