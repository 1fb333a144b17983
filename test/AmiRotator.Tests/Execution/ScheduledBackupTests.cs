using AmiRotator.Inventory;
using AmiRotator.Tests.Fakes;
using Xunit;

namespace AmiRotator.Tests.Execution;

/// <summary>A scheduled pass backs up every protected instance once per scheduled time, whatever happens around it.</summary>
public sealed class ScheduledBackupTests
{
    [Fact]
    public async Task RunAsync_WhenScheduled_CreatesOneTaggedBackupPerProtectedRunningOrStoppedInstance()
    {
        var pass = new PassFixture();
        pass.Ec2.SnapshotsPerImage = 2;
        var web = pass.AddProtectedInstance("web", "running");
        var db = pass.AddProtectedInstance("db", "stopped");
        var stopping = pass.AddProtectedInstance("batch", "stopping");
        var terminated = pass.AddProtectedInstance("old", "terminated");
        var unprotected = pass.Ec2.AddInstance(PassFixture.Source, tags: PassFixture.Tags(("Name", "scratch")));

        var summary = await pass.RunAsync(PassFixture.Scheduled());

        Assert.Empty(summary.Failures);
        string[] expected = [.. new[] { web, db }.Order(StringComparer.Ordinal)];
        Assert.Equal(expected, summary.Created.Select(c => c.InstanceId).Order(StringComparer.Ordinal));
        Assert.Equal(expected, pass.Ec2.CallsTo(Ec2Call.CreateImage).Select(c => c.Subject).Order(StringComparer.Ordinal));
        Assert.Contains(summary.Skipped, s => s.Subject == stopping && s.Reason.Contains("stopping", StringComparison.Ordinal));
        Assert.Empty(pass.BackupsOf(terminated));
        Assert.Empty(pass.BackupsOf(unprotected));
        foreach (var (instanceId, name) in new[] { (web, "web"), (db, "db") })
        {
            var image = Assert.Single(pass.BackupsOf(instanceId));
            var expectedTags = PassFixture.Tags(
                (ManagedTags.Managed, "true"),
                (ManagedTags.Owner, pass.Settings.Owner),
                (ManagedTags.InstanceId, instanceId),
                (ManagedTags.Name, name),
                (ManagedTags.ScheduledTime, "2026-11-26T03:00:00Z"),
                (ManagedTags.ImageName, image.Name),
                (ManagedTags.Policy, "keep-last=3"),
                (ManagedTags.DrPolicy, "keep-last=3"));
            Assert.Equal(Planning.BackupNaming.Scheduled(instanceId, PassFixture.ScheduledTime, pass.Settings.Owner), image.Name);
            Assert.Equal(ImageStates.Pending, image.State);
            Assert.Equal(instanceId, image.InstanceId);
            Assert.True(image.NoReboot);
            Assert.Equal(expectedTags, image.Tags);
            Assert.Equal(2, image.SnapshotIds.Count);
            Assert.All(image.SnapshotIds, s => Assert.Equal(expectedTags, pass.Ec2.Snapshot(s)!.Tags));
        }
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    public async Task RunAsync_PassesTheNoRebootSettingToCreateImage(string setting, bool expected)
    {
        var pass = new PassFixture(("NO_REBOOT", setting));
        var web = pass.AddProtectedInstance("web");

        await pass.RunAsync(PassFixture.Scheduled());

        Assert.Equal(expected, Assert.Single(pass.BackupsOf(web)).NoReboot);
    }

    [Fact]
    public async Task RunAsync_WhenTheSameEventArrivesThreeTimes_CreatesEachBackupOnceAndMutatesNothingMore()
    {
        var pass = new PassFixture();
        var instances = new[] { pass.AddProtectedInstance("a"), pass.AddProtectedInstance("b"), pass.AddProtectedInstance("c", "stopped") };

        var first = await pass.RunAsync(PassFixture.Scheduled());
        var mutationsAfterFirst = pass.Ec2.MutationCount;
        pass.Clock.Advance(TimeSpan.FromMinutes(1));
        var second = await pass.RunAsync(PassFixture.Scheduled());
        pass.Clock.Advance(TimeSpan.FromMinutes(5));
        var third = await pass.RunAsync(PassFixture.Scheduled());

        Assert.Equal(3, first.Created.Count);
        Assert.Equal(3, mutationsAfterFirst);
        Assert.Equal(mutationsAfterFirst, pass.Ec2.MutationCount);
        Assert.All(instances, i => Assert.Single(pass.BackupsOf(i)));
        foreach (var again in new[] { second, third })
        {
            Assert.Empty(again.Created);
            Assert.Empty(again.Failures);
            Assert.All(instances, i => Assert.Contains(again.Skipped, s => s.InstanceId == i && s.Reason.Contains("already exists", StringComparison.Ordinal)));
        }
    }

    [Fact]
    public async Task RunAsync_WhenDryRun_MakesNoMutationAndListsThePlan()
    {
        var pass = new PassFixture(("RETENTION", "keep-last=1"));
        var web = pass.AddProtectedInstance("web");
        var old = pass.AddBackup(web, PassFixture.ScheduledTime.AddDays(-2));
        var newer = pass.AddBackup(web, PassFixture.ScheduledTime.AddDays(-1));
        var orphan = pass.Ec2.AddSnapshot(PassFixture.Source, tags: PassFixture.Tags((ManagedTags.Managed, "true"), (ManagedTags.Owner, pass.Settings.Owner)), startTime: PassFixture.ScheduledTime.AddDays(-3));
        var callsBefore = pass.Ec2.Calls.Count;

        var summary = await pass.RunAsync(PassFixture.Scheduled(dryRun: true));

        Assert.True(summary.DryRun);
        Assert.Equal(0, pass.Ec2.MutationCount);
        Assert.All(pass.Ec2.Calls.Skip(callsBefore), c => Assert.StartsWith("Describe", c.Action, StringComparison.Ordinal));
        var created = Assert.Single(summary.Created);
        Assert.Null(created.ImageId);
        Assert.Equal(Planning.BackupNaming.Scheduled(web, PassFixture.ScheduledTime, pass.Settings.Owner), created.Name);
        Assert.Contains(summary.Copied, c => c.SourceImageId == newer && c.ImageId is null);
        Assert.Equal(old, Assert.Single(summary.Retired).ImageId);
        Assert.Contains(summary.DeletedSnapshots, s => s.SnapshotId == orphan);
        Assert.Contains(summary.Kept, k => k.ImageId == newer);
        Assert.NotNull(pass.Ec2.Image(old));
        Assert.NotNull(pass.Ec2.Snapshot(orphan));
    }

    [Fact]
    public async Task RunAsync_WhenOneCreateImageFails_BacksUpTheOthersAndReportsTheFailure()
    {
        var pass = new PassFixture();
        var a = pass.AddProtectedInstance("a");
        var broken = pass.AddProtectedInstance("broken");
        var c = pass.AddProtectedInstance("c");
        pass.Ec2.FailCreateImage(broken, "InternalError");

        var summary = await pass.RunAsync(PassFixture.Scheduled());

        Assert.Equal([a, c], summary.Created.Select(x => x.InstanceId!).Order(StringComparer.Ordinal));
        var failure = Assert.Single(summary.Failures);
        Assert.Equal((broken, "backup"), (failure.InstanceId, failure.Step));
        Assert.Contains("InternalError", failure.Error, StringComparison.Ordinal);
        Assert.Single(pass.BackupsOf(a));
        Assert.Single(pass.BackupsOf(c));
        Assert.Empty(pass.BackupsOf(broken));
    }

    [Fact]
    public async Task RunAsync_AfterAFailedBackup_TheNextDeliveryCreatesOnlyTheMissingOne()
    {
        var pass = new PassFixture();
        var a = pass.AddProtectedInstance("a");
        var broken = pass.AddProtectedInstance("broken");
        pass.Ec2.FailCreateImage(broken);
        await pass.RunAsync(PassFixture.Scheduled());
        pass.Ec2.ClearFaults();
        var callsBefore = pass.Ec2.CallsTo(Ec2Call.CreateImage).Count;

        var retry = await pass.RunAsync(PassFixture.Scheduled());

        Assert.Equal(broken, Assert.Single(retry.Created).InstanceId);
        Assert.Equal(callsBefore + 1, pass.Ec2.CallsTo(Ec2Call.CreateImage).Count);
        Assert.Single(pass.BackupsOf(a));
        Assert.Single(pass.BackupsOf(broken));
    }
}
