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
public sealed class MotoNewImageStateTests(MotoServer moto) : MotoPatchTests(moto)
{
    [Fact]
    public async Task NewCopyState_Pending_KeepsCopiesPendingWhileCreatesAreAvailable()
    {
        await Moto.SetNewCopyStateAsync("pending");

        var source = await CreateImageAsync(Moto, EastClient, East, "copy-me");
        var copy = (await WestClient.CopyImageAsync(new CopyImageRequest { SourceImageId = source, SourceRegion = East, Name = "copy-me" })).ImageId;

        Assert.Equal(ImageState.Available, (await DescribeImageAsync(EastClient, source)).State);
        var copied = await DescribeImageAsync(WestClient, copy);
        Assert.Equal(ImageState.Pending, copied.State);
        var snapshot = Assert.Single((await WestClient.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { SnapshotIds = [copied.BlockDeviceMappings[0].Ebs.SnapshotId] })).Snapshots);
        Assert.Equal(SnapshotState.Pending, snapshot.State);
    }

    [Fact]
    public async Task NewCopyState_IsIndependentOfNewImageState_AndFollowsItUntilSetAndAfterReset()
    {
        var source = await CreateImageAsync(Moto, EastClient, East, "copy-me");

        // Each knob changes only itself: pending creates, available copies.
        await Moto.SetNewCopyStateAsync("available");
        await Moto.SetNewImageStateAsync("pending");
        var copy = (await WestClient.CopyImageAsync(new CopyImageRequest { SourceImageId = source, SourceRegion = East, Name = "copy-1" })).ImageId;
        var created = await CreateImageAsync(Moto, EastClient, East, "created-pending");
        Assert.Equal(ImageState.Available, (await DescribeImageAsync(WestClient, copy)).State);
        Assert.Equal(ImageState.Pending, (await DescribeImageAsync(EastClient, created)).State);

        // After a reset newCopyState is unset again: copies follow newImageState.
        await Moto.ResetAsync();
        source = await CreateImageAsync(Moto, EastClient, East, "copy-me");
        await Moto.SetNewImageStateAsync("pending");
        copy = (await WestClient.CopyImageAsync(new CopyImageRequest { SourceImageId = source, SourceRegion = East, Name = "copy-2" })).ImageId;
        Assert.Equal(ImageState.Pending, (await DescribeImageAsync(WestClient, copy)).State);
    }
}
