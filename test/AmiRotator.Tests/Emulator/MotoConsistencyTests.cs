using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;
using static AmiRotator.Tests.Emulator.EmulatorImages;

namespace AmiRotator.Tests.Emulator;

/// <summary>
/// Patch 14 of test/moto/amirotator_moto.py: eventually consistent reads. [ec2/latest/devguide/eventual-consistency]
/// "the result of an API command you run that affects your Amazon EC2 resources might not be immediately visible to all
/// subsequent commands you run" / "if you run a command to modify or describe the resource that you just created, its
/// ID might not have propagated throughout the system, and you will get an error responding that the resource does not
/// exist." The emulator counts the lag in Describe calls.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class MotoConsistencyTests(MotoServer moto) : MotoPatchTests(moto)
{
    [Fact]
    public async Task NewImages_WithLagTwo_AreNotFoundAndNotListedForTwoDescribeCallsInTheirRegion()
    {
        var instanceId = await Moto.SeedInstanceAsync(East, new Dictionary<string, string>());
        var source = (await EastClient.CreateImageAsync(new CreateImageRequest { InstanceId = instanceId, Name = "visible-source" })).ImageId;
        await Moto.SetConsistencyLagAsync(2);

        var created = (await EastClient.CreateImageAsync(new CreateImageRequest { InstanceId = instanceId, Name = "lagging" })).ImageId;

        await FailsWithAsync("InvalidAMIID.NotFound", () => EastClient.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [created] }));
        Assert.Equal([source], (await OwnImagesAsync(EastClient)).Select(i => i.ImageId));
        Assert.Equal("lagging", (await DescribeImageAsync(EastClient, created)).Name); // the third call sees it

        // A copy lags in its own Region (the source is checked against the true state: it is available).
        var copy = (await WestClient.CopyImageAsync(new CopyImageRequest { SourceImageId = created, SourceRegion = East, Name = "lagging-copy" })).ImageId;
        Assert.Empty(await OwnImagesAsync(WestClient));
        await FailsWithAsync("InvalidAMIID.NotFound", () => WestClient.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [copy] }));
        Assert.Equal([copy], (await OwnImagesAsync(WestClient)).Select(i => i.ImageId));

        // RegisterImage too.
        var registered = (await EastClient.RegisterImageAsync(new RegisterImageRequest { Name = "lagging-registered" })).ImageId;
        await FailsWithAsync("InvalidAMIID.NotFound", () => EastClient.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [registered] }));
        await FailsWithAsync("InvalidAMIID.NotFound", () => EastClient.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [registered] }));
        Assert.Equal("lagging-registered", (await DescribeImageAsync(EastClient, registered)).Name);
    }

    [Fact]
    public async Task StateChange_WithLagTwo_ShowsThePreviousStateForTwoDescribeCalls()
    {
        await Moto.SetNewImageStateAsync("pending");
        var imageId = await CreateImageAsync(Moto, EastClient, East, "state-lag");
        await Moto.SetConsistencyLagAsync(2);

        await Moto.SetImageStateAsync(imageId, "failed", "simulated failure");

        var first = await DescribeImageAsync(EastClient, imageId);
        Assert.Equal(ImageState.Pending, first.State);
        Assert.Null(first.StateReason);
        Assert.Empty(await OwnImagesAsync(EastClient, new Filter("state", ["failed"]))); // the state filter sees the old state too
        var third = await DescribeImageAsync(EastClient, imageId);
        Assert.Equal(ImageState.Failed, third.State);
        Assert.Equal("simulated failure", third.StateReason?.Message);
    }

    [Fact]
    public async Task NewSnapshots_WithLagOne_AreNotFoundForOneDescribeSnapshotsCall()
    {
        var instanceId = await Moto.SeedInstanceAsync(East, new Dictionary<string, string>());
        await Moto.SetConsistencyLagAsync(1);
        var imageId = (await EastClient.CreateImageAsync(new CreateImageRequest { InstanceId = instanceId, Name = "snapshot-lag" })).ImageId;
        await FailsWithAsync("InvalidAMIID.NotFound", () => EastClient.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [imageId] }));
        var snapshotId = (await DescribeImageAsync(EastClient, imageId)).BlockDeviceMappings[0].Ebs.SnapshotId;

        await FailsWithAsync("InvalidSnapshot.NotFound", () => EastClient.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { SnapshotIds = [snapshotId] }));

        Assert.Single((await EastClient.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { SnapshotIds = [snapshotId] })).Snapshots);
    }

    [Fact]
    public async Task Lag_IsOffByDefaultAndAfterReset()
    {
        await Moto.SetConsistencyLagAsync(3);
        await Moto.ResetAsync();

        var imageId = await CreateImageAsync(Moto, EastClient, East, "no-lag");

        Assert.Equal("no-lag", (await DescribeImageAsync(EastClient, imageId)).Name);
    }
}
