using AmiRotator.Execution;
using AmiRotator.Inventory;
using AmiRotator.Invocation;
using AmiRotator.Reporting;
using AmiRotator.Tests.Fakes;
using Xunit;

namespace AmiRotator.Tests.Execution;

/// <summary>
/// An event pass reads only what its events name: the images by id, their instances' backups and copies, the copies
/// in flight. Never the account: its calls don't grow with the fleet, and it never lists snapshots.
/// </summary>
public sealed class EventPassTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(250)]
    public async Task Run_WhenABackupBecomesAvailable_CopiesIt_WithTheSameCallsWhateverTheFleetSize(int otherInstances)
    {
        var fx = new PassFixture();
        var instance = fx.AddProtectedInstance("web-1");
        var backup = fx.AddBackup(instance, PassFixture.ScheduledTime.AddDays(-1));
        for (var i = 0; i < otherInstances; i++)
        {
            fx.AddBackup(fx.AddProtectedInstance($"other-{i}"), PassFixture.ScheduledTime.AddDays(-1));
        }

        var result = await Pass(fx).RunAsync([new ImageStateChange(backup, ImageStates.Available, PassFixture.Source, "")], PassFixture.Account, false, PassFixture.PlentyOfTime, CancellationToken.None);

        var copy = Assert.Single(result.Summary.Copied);
        Assert.Equal(backup, copy.SourceImageId);
        Assert.Empty(result.Retry);
        var reads = fx.Ec2.Calls.Where(c => !c.IsMutation).ToList();
        Assert.DoesNotContain(reads, c => c.Action == Ec2Call.DescribeSnapshots);
        Assert.All(reads.Where(c => c.Action == Ec2Call.DescribeImages), c => Assert.NotEqual("owner=self", c.Subject));
        // By id (1), the instance's backups and copies (2), the copies in flight (1), the instance (1: its backup
        // recorded no DR policy), and the check of the new copy (1).
        Assert.True(reads.Count == 6, string.Join("\n", reads));
    }

    [Fact]
    public async Task Run_WhenADrCopyFailed_CountsIt_AndCopiesItsSourceAgainUnderANewName()
    {
        var fx = new PassFixture();
        var instance = fx.AddProtectedInstance("web-1");
        var backup = fx.AddBackup(instance, PassFixture.ScheduledTime.AddDays(-1));
        await fx.RunAsync(new Request(RequestKind.Copy, false));
        var copy = Assert.Single(fx.BackupsOf(instance, PassFixture.Dr));
        fx.Ec2.SetImageState(copy.ImageId, ImageStates.Failed);

        var result = await Pass(fx).RunAsync([new ImageStateChange(copy.ImageId, ImageStates.Failed, PassFixture.Dr, "KMS key disabled")], PassFixture.Account, false, PassFixture.PlentyOfTime, CancellationToken.None);

        Assert.Equal(1, result.FailedImages);
        var again = Assert.Single(result.Summary.Copied);
        Assert.Equal(backup, again.SourceImageId);
        Assert.EndsWith($"-retry-{copy.ImageId["ami-".Length..]}", again.Name, StringComparison.Ordinal);
        Assert.Contains("\"DR copy failed\"", fx.LogOutput.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WhenTheEventsRegionIsForgotten_StillFindsAFailedCopyInTheDrRegion()
    {
        // The docs don't say whether an event forwarded from another Region keeps its region field.
        var fx = new PassFixture();
        var instance = fx.AddProtectedInstance("web-1");
        fx.AddBackup(instance, PassFixture.ScheduledTime.AddDays(-1));
        await fx.RunAsync(new Request(RequestKind.Copy, false));
        var copy = Assert.Single(fx.BackupsOf(instance, PassFixture.Dr));
        fx.Ec2.SetImageState(copy.ImageId, ImageStates.Failed);

        var result = await Pass(fx).RunAsync([new ImageStateChange(copy.ImageId, ImageStates.Failed, PassFixture.Source, "")], PassFixture.Account, false, PassFixture.PlentyOfTime, CancellationToken.None);

        Assert.Equal(1, result.FailedImages);
        Assert.Single(result.Summary.Copied);
    }

    [Fact]
    public async Task Run_WhenACopyInTheDrRegionBecameAvailable_MakesNoCallAtAll()
    {
        var fx = new PassFixture();

        var result = await Pass(fx).RunAsync([new ImageStateChange("ami-0123456789abcdef0", ImageStates.Available, PassFixture.Dr, "")], PassFixture.Account, false, PassFixture.PlentyOfTime, CancellationToken.None);

        Assert.Empty(fx.Ec2.Calls);
        Assert.Contains("nothing to do", Assert.Single(result.Summary.Skipped).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WhenTheImageIsSomeoneElses_CopiesNothing_AndSaysSo()
    {
        var fx = new PassFixture();
        var image = fx.Ec2.AddImage(PassFixture.Source, name: "golden-image", tags: PassFixture.Tags(("Team", "web")));

        var result = await Pass(fx).RunAsync([new ImageStateChange(image, ImageStates.Available, PassFixture.Source, "")], PassFixture.Account, false, PassFixture.PlentyOfTime, CancellationToken.None);

        Assert.Empty(result.Summary.Copied);
        Assert.Contains("not a source backup of this stack", Assert.Single(result.Summary.Skipped).Reason, StringComparison.Ordinal);
        Assert.Equal(0, fx.Ec2.MutationCount);
    }

    private static EventPass Pass(PassFixture fx) =>
        new(fx.Settings, fx.Ec2.Region(PassFixture.Source), fx.Ec2.Region(PassFixture.Dr), fx.Clock, new Log(fx.LogOutput, fx.Clock));
}
