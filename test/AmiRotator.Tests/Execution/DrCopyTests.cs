using AmiRotator.Inventory;
using AmiRotator.Invocation;
using AmiRotator.Planning;
using AmiRotator.Tests.Fakes;
using Xunit;

namespace AmiRotator.Tests.Execution;

/// <summary>DR copies: only usable backups of this Region, tagged with their provenance, retried after a failure.</summary>
public sealed class DrCopyTests
{
    private const string InstanceId = "i-0123456789abcdef0";
    private static readonly Request Copy = new(RequestKind.Copy, DryRun: false);
    private static readonly Request Run = PassFixture.Scheduled();

    [Fact]
    public async Task RunAsync_CopiesOnlyAvailableManagedBackupsOfTheSourceRegion_WithProvenanceTags()
    {
        var pass = new PassFixture();
        var available = pass.AddBackup(InstanceId, PassFixture.ScheduledTime.AddDays(-1));
        var pending = pass.AddBackup(InstanceId, PassFixture.ScheduledTime.AddMinutes(-30), ImageStates.Pending);
        var alreadyCopied = pass.AddBackup(InstanceId, PassFixture.ScheduledTime.AddDays(-2));
        pass.Ec2.AddImage(PassFixture.Dr, state: ImageStates.Pending, tags: CopyTags(alreadyCopied, PassFixture.Source));
        pass.Ec2.AddImage(PassFixture.Source, name: "golden-image", tags: PassFixture.Tags(("Name", "golden")));
        pass.Ec2.AddImage(PassFixture.Source, tags: CopyTags("ami-0fromoregon000000", "us-west-2"));
        var sourceImage = pass.Ec2.Image(available)!;

        var summary = await pass.RunAsync(Copy);

        Assert.Empty(summary.Failures);
        var call = Assert.Single(pass.Ec2.CallsTo(Ec2Call.CopyImage));
        Assert.Equal((PassFixture.Dr, available), (call.Region, call.Subject));
        Assert.Contains(summary.Skipped, s => s.Subject == pending && s.Reason.Contains("copied once available", StringComparison.Ordinal));
        var copy = pass.Ec2.Image(Assert.Single(summary.Copied).ImageId!)!;
        Assert.Equal((PassFixture.Dr, available, PassFixture.Source), (copy.Region, copy.CopiedFromImageId, copy.CopiedFromRegion));
        Assert.Equal(sourceImage.Name, copy.Name);
        Assert.Equal(BackupNaming.CopyToken(available, PassFixture.Dr, null, null), copy.ClientToken);
        Assert.False(copy.Encrypted);
        Assert.Null(copy.KmsKeyId);
        var provenance = PassFixture.Tags(
            (ManagedTags.Managed, "true"),
            (ManagedTags.SourceImageId, available),
            (ManagedTags.SourceRegion, PassFixture.Source),
            (ManagedTags.InstanceId, InstanceId),
            (ManagedTags.ScheduledTime, sourceImage.Tags[ManagedTags.ScheduledTime]));
        Assert.Subset(copy.Tags.ToHashSet(), provenance.ToHashSet());
        Assert.Equal(sourceImage.SnapshotIds.Count, copy.SnapshotIds.Count);
        Assert.All(copy.SnapshotIds, s => Assert.Equal(copy.Tags, pass.Ec2.Snapshot(s)!.Tags));
    }

    [Fact]
    public async Task RunAsync_WhenADrKmsKeyIsSet_EncryptsTheCopyWithIt()
    {
        var pass = new PassFixture(("DR_KMS_KEY_ID", "alias/dr-backups"));
        var available = pass.AddBackup(InstanceId, PassFixture.ScheduledTime.AddDays(-1));

        await pass.RunAsync(Copy);

        var copy = Assert.Single(pass.Ec2.Images(PassFixture.Dr));
        Assert.Equal(available, copy.CopiedFromImageId);
        Assert.True(copy.Encrypted);
        Assert.Equal("alias/dr-backups", copy.KmsKeyId);
        Assert.Equal(BackupNaming.CopyToken(available, PassFixture.Dr, "alias/dr-backups", null), copy.ClientToken);
    }

    [Fact]
    public async Task RunAsync_WhenACopyFailed_RetriesWithANewClientTokenAndKeepsTheFailedCopyUntilTheRetryExists()
    {
        var pass = new PassFixture();
        var source = pass.AddBackup(InstanceId, PassFixture.ScheduledTime.AddDays(-1));
        await pass.RunAsync(Run);
        var failed = Assert.Single(pass.Ec2.Images(PassFixture.Dr));
        pass.Ec2.SetImageState(failed.ImageId, ImageStates.Failed);
        pass.Clock.Advance(TimeSpan.FromHours(1));

        var retryPass = await pass.RunAsync(Run);

        var retry = pass.Ec2.Image(Assert.Single(retryPass.Copied).ImageId!)!;
        Assert.Equal(source, retry.CopiedFromImageId);
        Assert.NotEqual(failed.ClientToken, retry.ClientToken);
        Assert.Equal(BackupNaming.CopyToken(source, PassFixture.Dr, null, failed.ImageId), retry.ClientToken);
        Assert.NotNull(pass.Ec2.Image(failed.ImageId));
        Assert.Contains(retryPass.Kept, k => k.ImageId == failed.ImageId && k.Reasons!.Any(r => r.Contains("retry", StringComparison.Ordinal)));
        Assert.Empty(retryPass.Retired);

        pass.Clock.Advance(TimeSpan.FromHours(1));
        var cleanupPass = await pass.RunAsync(Run);

        Assert.Equal(failed.ImageId, Assert.Single(cleanupPass.Retired).ImageId);
        Assert.Null(pass.Ec2.Image(failed.ImageId));
        Assert.All(failed.SnapshotIds, s => Assert.Null(pass.Ec2.Snapshot(s)));
        Assert.Empty(cleanupPass.Copied);
        Assert.Equal(retry.ImageId, Assert.Single(pass.Ec2.Images(PassFixture.Dr)).ImageId);
    }

    [Fact]
    public async Task RunAsync_WhenTheRetryCopyFailsToo_StartsAnotherCopy()
    {
        var pass = new PassFixture();
        var source = pass.AddBackup(InstanceId, PassFixture.ScheduledTime.AddDays(-1));
        await pass.RunAsync(Run);
        pass.Ec2.SetImageState(Assert.Single(pass.Ec2.Images(PassFixture.Dr)).ImageId, ImageStates.Failed);
        pass.Clock.Advance(TimeSpan.FromHours(1));
        var retry = Assert.Single((await pass.RunAsync(Run)).Copied).ImageId!;
        pass.Clock.Advance(TimeSpan.FromHours(1));
        await pass.RunAsync(Run); // retires the first failed copy: its retry exists
        pass.Ec2.SetImageState(retry, ImageStates.Failed);
        pass.Clock.Advance(TimeSpan.FromHours(1));

        var secondRetryPass = await pass.RunAsync(Run);

        Assert.Empty(secondRetryPass.Failures);
        Assert.DoesNotContain(secondRetryPass.Skipped, s => s.Reason.Contains("already exists", StringComparison.Ordinal));
        Assert.Contains(pass.Ec2.Images(PassFixture.Dr), i => i.CopiedFromImageId == source && i.State != ImageStates.Failed);
    }

    private static Dictionary<string, string> CopyTags(string sourceImageId, string sourceRegion) => PassFixture.Tags(
        (ManagedTags.Managed, "true"),
        (ManagedTags.InstanceId, InstanceId),
        (ManagedTags.SourceImageId, sourceImageId),
        (ManagedTags.SourceRegion, sourceRegion));
}

/// <summary>Copies follow DR retention: a backup is copied only if the DR Region would keep it, so nothing is copied to be retired.</summary>
public sealed class DrCopyRetentionTests
{
    private const string InstanceId = "i-0123456789abcdef0";

    [Fact]
    public async Task RunAsync_WhenDrRetentionIsShorter_CopiesOnlyWhatItKeepsAndNeverRecopies()
    {
        var pass = new PassFixture(("RETENTION", "keep-last=5"), ("DR_RETENTION", "keep-last=2"));
        var backups = Enumerable.Range(1, 5).Select(d => pass.AddBackup(InstanceId, PassFixture.ScheduledTime.AddDays(-d))).ToList();

        var first = await pass.RunAsync(new Request(RequestKind.Copy, DryRun: false));
        Assert.Equal(backups.Take(2).Order(StringComparer.Ordinal), first.Copied.Select(c => c.SourceImageId).Order(StringComparer.Ordinal));
        pass.Ec2.CompletePendingImages();

        // DR retention keeps both copies; the next sweep and prune change nothing, night after night.
        var prune = await pass.RunAsync(new Request(RequestKind.Prune, DryRun: false));
        Assert.DoesNotContain(prune.Retired, r => r.Region == PassFixture.Dr);
        var second = await pass.RunAsync(new Request(RequestKind.Copy, DryRun: false));
        Assert.Empty(second.Copied);
        Assert.Equal(2, pass.Ec2.Images(PassFixture.Dr).Count(i => i.State == ImageStates.Available));
    }

    [Fact]
    public async Task ImageEvent_WhenDrRetentionWouldNotKeepTheImage_SaysWhyAndCopiesNothing()
    {
        var pass = new PassFixture(("RETENTION", "keep-last=5"), ("DR_RETENTION", "keep-last=1"));
        var old = pass.AddBackup(InstanceId, PassFixture.ScheduledTime.AddDays(-2));
        pass.AddBackup(InstanceId, PassFixture.ScheduledTime.AddDays(-1));

        var summary = await pass.RunAsync(new Request(RequestKind.Copy, DryRun: false, ImageEvent: new ImageStateChange(old, "available", PassFixture.Source, null)) with { Kind = RequestKind.ImageStateChange });

        Assert.Empty(summary.Copied);
        Assert.Contains(summary.Skipped, s => s.Subject == old && s.Reason.Contains("DR retention keep-last=1 would not keep it", StringComparison.Ordinal));
    }
}
