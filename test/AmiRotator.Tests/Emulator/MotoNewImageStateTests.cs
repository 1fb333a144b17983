using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;
using static AmiRotator.Tests.Emulator.EmulatorImages;

namespace AmiRotator.Tests.Emulator;

/// <summary>
/// Knob newCopyState of test/moto/amirotator_moto.py: copies can stay pending while creates complete.
/// [API_CopyImage] and [API_CreateImage] both return while the new image is still pending; the knob lets a test
/// hold the copies pending on their own.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class MotoNewImageStateTests : IAsyncLifetime
{
    private const string East = "us-east-1";
    private const string West = "us-west-2";

    private readonly MotoServer _moto;
    private readonly AmazonEC2Client _east;
    private readonly AmazonEC2Client _west;

    public MotoNewImageStateTests(MotoServer moto)
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
    public async Task NewCopyState_Pending_KeepsCopiesPendingWhileCreatesAreAvailable()
    {
        await _moto.SetNewCopyStateAsync("pending");

        var source = await CreateImageAsync(_moto, _east, East, "copy-me");
        var copy = (await _west.CopyImageAsync(new CopyImageRequest { SourceImageId = source, SourceRegion = East, Name = "copy-me" })).ImageId;

        Assert.Equal(ImageState.Available, (await DescribeImageAsync(_east, source)).State);
        var copied = await DescribeImageAsync(_west, copy);
        Assert.Equal(ImageState.Pending, copied.State);
        var snapshot = Assert.Single((await _west.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { SnapshotIds = [copied.BlockDeviceMappings[0].Ebs.SnapshotId] })).Snapshots);
        Assert.Equal(SnapshotState.Pending, snapshot.State);
    }

    [Fact]
    public async Task NewCopyState_IsIndependentOfNewImageState_AndFollowsItUntilSetAndAfterReset()
    {
        var source = await CreateImageAsync(_moto, _east, East, "copy-me");

        // Each knob changes only itself: pending creates, available copies.
        await _moto.SetNewCopyStateAsync("available");
        await _moto.SetNewImageStateAsync("pending");
        var copy = (await _west.CopyImageAsync(new CopyImageRequest { SourceImageId = source, SourceRegion = East, Name = "copy-1" })).ImageId;
        var created = await CreateImageAsync(_moto, _east, East, "created-pending");
        Assert.Equal(ImageState.Available, (await DescribeImageAsync(_west, copy)).State);
        Assert.Equal(ImageState.Pending, (await DescribeImageAsync(_east, created)).State);

        // After a reset newCopyState is unset again: copies follow newImageState.
        await _moto.ResetAsync();
        source = await CreateImageAsync(_moto, _east, East, "copy-me");
        await _moto.SetNewImageStateAsync("pending");
        copy = (await _west.CopyImageAsync(new CopyImageRequest { SourceImageId = source, SourceRegion = East, Name = "copy-2" })).ImageId;
        Assert.Equal(ImageState.Pending, (await DescribeImageAsync(_west, copy)).State);
    }
}
