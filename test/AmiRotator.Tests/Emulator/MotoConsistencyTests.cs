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
public sealed class MotoConsistencyTests : IAsyncLifetime
{
    private const string East = "us-east-1";
    private const string West = "us-west-2";

    private readonly MotoServer _moto;
    private readonly AmazonEC2Client _east;
    private readonly AmazonEC2Client _west;

    public MotoConsistencyTests(MotoServer moto)
    {
        _moto = moto;
        _east = moto.Client(East);
        _west = moto.Client(West);
    }

    public Task InitializeAsync() => _moto.ResetAsync();

    public Task DisposeAsync()
    {
        _east.Dispose();
        _west.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task NewImages_WithLagTwo_AreNotFoundAndNotListedForTwoDescribeCallsInTheirRegion()
    {
        var instanceId = await _moto.SeedInstanceAsync(East, new Dictionary<string, string>());
        var source = (await _east.CreateImageAsync(new CreateImageRequest { InstanceId = instanceId, Name = "visible-source" })).ImageId;
        await _moto.SetConsistencyLagAsync(2);

        var created = (await _east.CreateImageAsync(new CreateImageRequest { InstanceId = instanceId, Name = "lagging" })).ImageId;

        await FailsWithAsync("InvalidAMIID.NotFound", () => _east.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [created] }));
        Assert.Equal([source], (await OwnImagesAsync(_east)).Select(i => i.ImageId));
        Assert.Equal("lagging", (await DescribeImageAsync(_east, created)).Name); // the third call sees it

        // A copy lags in its own Region (the source is checked against the true state: it is available).
        var copy = (await _west.CopyImageAsync(new CopyImageRequest { SourceImageId = created, SourceRegion = East, Name = "lagging-copy" })).ImageId;
        Assert.Empty(await OwnImagesAsync(_west));
        await FailsWithAsync("InvalidAMIID.NotFound", () => _west.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [copy] }));
        Assert.Equal([copy], (await OwnImagesAsync(_west)).Select(i => i.ImageId));

        // RegisterImage too.
        var registered = (await _east.RegisterImageAsync(new RegisterImageRequest { Name = "lagging-registered" })).ImageId;
        await FailsWithAsync("InvalidAMIID.NotFound", () => _east.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [registered] }));
        await FailsWithAsync("InvalidAMIID.NotFound", () => _east.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [registered] }));
        Assert.Equal("lagging-registered", (await DescribeImageAsync(_east, registered)).Name);
    }

    [Fact]
    public async Task StateChange_WithLagTwo_ShowsThePreviousStateForTwoDescribeCalls()
    {
        await _moto.SetNewImageStateAsync("pending");
        var imageId = await CreateImageAsync(_moto, _east, East, "state-lag");
        await _moto.SetConsistencyLagAsync(2);

        await _moto.SetImageStateAsync(imageId, "failed", "simulated failure");

        var first = await DescribeImageAsync(_east, imageId);
        Assert.Equal(ImageState.Pending, first.State);
        Assert.Null(first.StateReason);
        Assert.Empty(await OwnImagesAsync(_east, new Filter("state", ["failed"]))); // the state filter sees the old state too
        var third = await DescribeImageAsync(_east, imageId);
        Assert.Equal(ImageState.Failed, third.State);
        Assert.Equal("simulated failure", third.StateReason?.Message);
    }

    [Fact]
    public async Task NewSnapshots_WithLagOne_AreNotFoundForOneDescribeSnapshotsCall()
    {
        var instanceId = await _moto.SeedInstanceAsync(East, new Dictionary<string, string>());
        await _moto.SetConsistencyLagAsync(1);
        var imageId = (await _east.CreateImageAsync(new CreateImageRequest { InstanceId = instanceId, Name = "snapshot-lag" })).ImageId;
        await FailsWithAsync("InvalidAMIID.NotFound", () => _east.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [imageId] }));
        var snapshotId = (await DescribeImageAsync(_east, imageId)).BlockDeviceMappings[0].Ebs.SnapshotId;

        await FailsWithAsync("InvalidSnapshot.NotFound", () => _east.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { SnapshotIds = [snapshotId] }));

        Assert.Single((await _east.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { SnapshotIds = [snapshotId] })).Snapshots);
    }

    [Fact]
    public async Task Lag_IsOffByDefaultAndAfterReset()
    {
        await _moto.SetConsistencyLagAsync(3);
        await _moto.ResetAsync();

        var imageId = await CreateImageAsync(_moto, _east, East, "no-lag");

        Assert.Equal("no-lag", (await DescribeImageAsync(_east, imageId)).Name);
    }
}
