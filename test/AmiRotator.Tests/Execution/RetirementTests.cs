using AmiRotator.Inventory;
using AmiRotator.Invocation;
using AmiRotator.Planning;
using AmiRotator.Tests.Fakes;
using Xunit;

namespace AmiRotator.Tests.Execution;

/// <summary>Retiring an image leaves no snapshot behind that no registered image uses, and never deletes one that is used.</summary>
public sealed class RetirementTests
{
    private const string InstanceId = "i-0123456789abcdef0";
    private static readonly Request Prune = new(RequestKind.Prune, DryRun: false);

    [Fact]
    public async Task RunAsync_WhenRetiring_DeletesEverySnapshotNoOtherImageUses()
    {
        var pass = new PassFixture(("RETENTION", "keep-last=1"));
        var now = PassFixture.ScheduledTime;
        var shared = pass.Ec2.AddSnapshot(PassFixture.Source, tags: ManagedSnapshotTags(), startTime: now.AddDays(-3));
        var deletedByEc2 = pass.Ec2.AddSnapshot(PassFixture.Source, tags: ManagedSnapshotTags(), startTime: now.AddDays(-3));
        var failedByEc2 = pass.Ec2.AddSnapshot(PassFixture.Source, tags: ManagedSnapshotTags(), startTime: now.AddDays(-3));
        var oldest = pass.AddBackup(InstanceId, now.AddDays(-3), snapshotIds: [deletedByEc2, failedByEc2]);
        var older = pass.AddBackup(InstanceId, now.AddDays(-2), snapshotIds: [shared]);
        var newest = pass.AddBackup(InstanceId, now.AddDays(-1), snapshotIds: [shared]);
        pass.Ec2.SetDeleteSnapshotReturnCode(failedByEc2, "internal-error");

        var summary = await pass.RunAsync(Prune);

        Assert.Empty(summary.Failures);
        Assert.Equal([oldest, older], summary.Retired.Select(r => r.ImageId!).Order(StringComparer.Ordinal));
        Assert.Equal([newest], pass.Ec2.Images(PassFixture.Source).Select(i => i.ImageId));
        Assert.Null(pass.Ec2.Snapshot(deletedByEc2));
        Assert.Null(pass.Ec2.Snapshot(failedByEc2));
        Assert.NotNull(pass.Ec2.Snapshot(shared));
        Assert.Contains(summary.DeletedSnapshots, s => s.SnapshotId == deletedByEc2 && s.Reason == "deleted with its image");
        Assert.Contains(summary.DeletedSnapshots, s => s.SnapshotId == failedByEc2 && s.Reason.Contains("EC2 did not delete it", StringComparison.Ordinal));
        Assert.DoesNotContain(summary.DeletedSnapshots, s => s.SnapshotId == shared);
        Assert.Contains(summary.Skipped, s => s.Subject == shared && s.Reason.Contains("associated with another AMI (skipped)", StringComparison.Ordinal));
        Assert.Equal([failedByEc2], pass.Ec2.CallsTo(Ec2Call.DeleteSnapshot).Select(c => c.Subject));
    }

    [Fact]
    public async Task RunAsync_WhenDeleteSnapshotFails_ReportsItAndAPassAfterTheOrphanGraceDeletesIt()
    {
        var pass = new PassFixture(("RETENTION", "keep-last=1"));
        var now = pass.Clock.GetUtcNow();
        var older = pass.AddBackup(InstanceId, now.AddMinutes(-90));
        pass.AddBackup(InstanceId, now.AddMinutes(-30));
        var orphan = Assert.Single(pass.Ec2.Image(older)!.SnapshotIds);
        pass.Ec2.SetDeleteSnapshotReturnCode(orphan, "internal-error");
        pass.Ec2.FailDeleteSnapshot(orphan, "InternalError");

        var failing = await pass.RunAsync(Prune);

        Assert.Equal(older, Assert.Single(failing.Retired).ImageId);
        var failure = Assert.Single(failing.Failures);
        Assert.Equal((orphan, "delete-snapshot"), (failure.Subject, failure.Step));
        Assert.Contains("next pass", failure.Error, StringComparison.Ordinal);
        Assert.NotNull(pass.Ec2.Snapshot(orphan));

        pass.Ec2.ClearFaults();
        pass.Clock.Advance(TimeSpan.FromMinutes(20)); // the snapshot is 110 minutes old: within the grace
        var tooEarly = await pass.RunAsync(Prune);

        Assert.Empty(tooEarly.DeletedSnapshots);
        Assert.NotNull(pass.Ec2.Snapshot(orphan));

        pass.Clock.Advance(SweepStep.OrphanGrace);
        var next = await pass.RunAsync(Prune);

        Assert.Empty(next.Failures);
        Assert.Contains(next.DeletedSnapshots, s => s.SnapshotId == orphan && s.Reason.StartsWith("orphan", StringComparison.Ordinal));
        Assert.Null(pass.Ec2.Snapshot(orphan));
    }

    [Fact]
    public async Task RunAsync_WhenAnImageIsInUse_KeepsIt()
    {
        var pass = new PassFixture(("RETENTION", "keep-last=1"));
        var now = PassFixture.ScheduledTime;
        var used = pass.AddBackup(InstanceId, now.AddDays(-3));
        var unused = pass.AddBackup(InstanceId, now.AddDays(-2));
        pass.AddBackup(InstanceId, now.AddDays(-1));
        pass.Ec2.AddReference(PassFixture.Source, used, $"arn:aws:ec2:{PassFixture.Source}:{PassFixture.Account}:launch-template/lt-0abc/3");

        var summary = await pass.RunAsync(Prune);

        Assert.Equal(unused, Assert.Single(summary.Retired).ImageId);
        Assert.Contains(summary.Kept, k => k.ImageId == used && k.Reasons!.Contains("in use by lt-0abc/3"));
        Assert.NotNull(pass.Ec2.Image(used));
    }

    [Fact]
    public async Task RunAsync_WhenTheInUseCheckIsUnavailable_RetiresNothingItCouldNotCheck()
    {
        var pass = new PassFixture(("RETENTION", "keep-last=1"));
        var now = PassFixture.ScheduledTime;
        var older = pass.AddBackup(InstanceId, now.AddDays(-2));
        pass.AddBackup(InstanceId, now.AddDays(-1));
        pass.Ec2.FailImageReferences(PassFixture.Source, "ServiceUnavailable");

        var summary = await pass.RunAsync(Prune);

        Assert.Empty(summary.Retired);
        Assert.Contains(summary.Kept, k => k.ImageId == older && k.Reasons!.Any(r => r.StartsWith("in-use check unavailable", StringComparison.Ordinal)));
        Assert.Equal(0, pass.Ec2.MutationCount);
    }

    [Fact]
    public async Task RunAsync_WithManyCandidates_AsksDescribeImageReferencesTenAtATime()
    {
        var pass = new PassFixture(("RETENTION", "keep-last=1"), ("MAX_RETIRE_PER_RUN", "100"));
        var now = PassFixture.ScheduledTime;
        for (var day = 1; day <= 24; day++)
        {
            pass.AddBackup(InstanceId, now.AddDays(-day));
        }

        var summary = await pass.RunAsync(Prune);

        Assert.Equal(23, summary.Retired.Count);
        var checks = pass.Ec2.CallsTo(Ec2Call.DescribeImageReferences);
        Assert.Equal(3, checks.Count);
        Assert.All(checks, c => Assert.InRange(c.Subject.Split(',').Length, 1, 10));
        Assert.All(checks, c => Assert.Null(c.ErrorCode));
    }

    private static Dictionary<string, string> ManagedSnapshotTags() =>
        PassFixture.Tags((ManagedTags.Managed, "true"), (ManagedTags.InstanceId, InstanceId));
}
