using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;
using static AmiRotator.Tests.Emulator.EmulatorImages;

namespace AmiRotator.Tests.Emulator;

/// <summary>
/// Patches 0, 4, 5 and 8 of test/moto/amirotator_moto.py for images with several snapshots, through the real
/// AWSSDK.EC2 client.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class MotoSnapshotSemanticsTests(MotoServer moto) : MotoPatchTests(moto)
{
    private const string Zone = "us-east-1a";

    // Patch 8 [API_RegisterImage] "You specify the snapshot using a block device mapping"; patch 0 [API_Image]
    // blockDeviceMapping "Any block device mapping entries": every mapping is kept and listed.
    [Fact]
    public async Task RegisterImage_WithSeveralSnapshots_ListsEveryMappingAndTakesTheRootFromRootDeviceName()
    {
        var root = await SnapshotAsync(EastClient, Zone);
        var data = await SnapshotAsync(EastClient, Zone);

        var image = await RegisterAsync(EastClient, "two-volumes", "/dev/xvda", ("/dev/xvdb", data), ("/dev/xvda", root));

        var described = await DescribeImageAsync(EastClient, image);
        Assert.Equal("/dev/xvda", described.RootDeviceName);
        Assert.Equal(
            new[] { ("/dev/xvdb", data), ("/dev/xvda", root) },
            described.BlockDeviceMappings.Select(m => (m.DeviceName, m.Ebs.SnapshotId)));

        // No RootDeviceName: the first mapping is the root.
        var first = await RegisterAsync(EastClient, "first-is-root", null, ("/dev/sda1", data), ("/dev/sdb", root));
        Assert.Equal("/dev/sda1", (await DescribeImageAsync(EastClient, first)).RootDeviceName);
    }

    // Patch 5 [API_DeleteSnapshot] "You cannot delete a snapshot of the root device of an EBS volume used by a
    // registered AMI." Only the root device: a data-volume snapshot of a registered AMI is deleted.
    [Fact]
    public async Task DeleteSnapshot_OfARegisteredImage_RefusesTheRootAndDeletesADataVolume()
    {
        var root = await SnapshotAsync(EastClient, Zone);
        var data = await SnapshotAsync(EastClient, Zone);
        var image = await RegisterAsync(EastClient, "root-and-data", "/dev/xvda", ("/dev/xvda", root), ("/dev/xvdb", data));

        await FailsWithAsync("InvalidSnapshot.InUse", () => EastClient.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = root }));
        await EastClient.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = data });

        Assert.True(await SnapshotExistsAsync(EastClient, root));
        Assert.False(await SnapshotExistsAsync(EastClient, data));
        Assert.Equal(2, (await DescribeImageAsync(EastClient, image)).BlockDeviceMappings.Count); // the AMI still lists it
    }

    // Patch 5: a registered AMI in any state protects its root snapshot [ebs-deleting-snapshot].
    [Theory]
    [InlineData("pending")]
    [InlineData("failed")]
    public async Task DeleteSnapshot_OfTheRootOfAPendingOrFailedImage_FailsWithInvalidSnapshotInUse(string state)
    {
        var root = await SnapshotAsync(EastClient, Zone);
        var image = await RegisterAsync(EastClient, "not-available", "/dev/xvda", ("/dev/xvda", root));
        await Moto.SetImageStateAsync(image, state);

        await FailsWithAsync("InvalidSnapshot.InUse", () => EastClient.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = root }));

        await EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = image });
        await EastClient.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = root });
        Assert.False(await SnapshotExistsAsync(EastClient, root));
    }

    // Patch 4 [API_DeregisterImage] DeleteAssociatedSnapshots: "If a snapshot is associated with multiple AMIs, it is
    // not deleted, regardless of this setting." Every snapshot of the AMI is handled; sharing counts on any device.
    [Fact]
    public async Task DeregisterImage_WithDeleteAssociatedSnapshots_DeletesEveryMappingAndSkipsOneAnotherImageUses()
    {
        var rootX = await SnapshotAsync(EastClient, Zone);
        var rootY = await SnapshotAsync(EastClient, Zone);
        var shared = await SnapshotAsync(EastClient, Zone);
        var x = await RegisterAsync(EastClient, "image-x", "/dev/xvda", ("/dev/xvda", rootX), ("/dev/xvdb", shared));
        var y = await RegisterAsync(EastClient, "image-y", "/dev/xvda", ("/dev/xvda", rootY), ("/dev/xvdc", shared));

        var first = await EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = x, DeleteAssociatedSnapshots = true });

        Assert.Equal(
            new[] { (rootX, "success"), (shared, "skipped") },
            first.DeleteSnapshotResults.Select(r => (r.SnapshotId, r.ReturnCode.Value)));
        Assert.False(await SnapshotExistsAsync(EastClient, rootX));
        Assert.True(await SnapshotExistsAsync(EastClient, shared));

        var second = await EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = y, DeleteAssociatedSnapshots = true });

        Assert.Equal(
            new[] { (rootY, "success"), (shared, "success") },
            second.DeleteSnapshotResults.Select(r => (r.SnapshotId, r.ReturnCode.Value)));
        Assert.False(await SnapshotExistsAsync(EastClient, shared));
    }

    // Patch 10 [API_DescribeImages] "block-device-mapping.snapshot-id - The ID of the snapshot used for the Amazon EBS
    // volume." [API_Filter] values are joined with an OR, filters with an AND.
    [Fact]
    public async Task DescribeImages_FilteredBySnapshotId_MatchesAnyMappingOrsTheValuesAndAndsTheFilters()
    {
        var rootX = await SnapshotAsync(EastClient, Zone);
        var dataX = await SnapshotAsync(EastClient, Zone);
        var rootY = await SnapshotAsync(EastClient, Zone);
        var rootZ = await SnapshotAsync(EastClient, Zone);
        var x = await RegisterAsync(EastClient, "image-x", "/dev/xvda", ("/dev/xvda", rootX), ("/dev/xvdb", dataX));
        var y = await RegisterAsync(EastClient, "image-y", "/dev/xvda", ("/dev/xvda", rootY));
        var z = await RegisterAsync(EastClient, "image-z", "/dev/xvda", ("/dev/xvda", rootZ));
        static Filter BySnapshot(params string[] ids) => new("block-device-mapping.snapshot-id", [.. ids]);
        static List<string> Ids(List<Image> images) => [.. images.Select(i => i.ImageId).Order(StringComparer.Ordinal)];

        Assert.Equal([x], Ids(await OwnImagesAsync(EastClient, BySnapshot(dataX))));
        Assert.Equal(new[] { y, z }.Order(StringComparer.Ordinal), Ids(await OwnImagesAsync(EastClient, BySnapshot(rootY, rootZ))));
        Assert.Equal([y], Ids(await OwnImagesAsync(EastClient, BySnapshot(rootY, rootZ), new Filter("name", ["image-y"]))));
        Assert.Empty(await OwnImagesAsync(EastClient, BySnapshot("snap-0000000000000000f")));

        // Without Owners as well.
        var all = await EastClient.DescribeImagesAsync(new DescribeImagesRequest { Filters = [BySnapshot(rootX)] });
        Assert.Equal([x], Ids(all.Images));
    }

    // CreateImage keeps one root snapshot (patch 0 lists it with its device).
    [Fact]
    public async Task CreateImage_ListsItsRootSnapshotUnderTheRootDevice()
    {
        var image = await DescribeImageAsync(EastClient, await CreateImageAsync(Moto, EastClient, East, "single-root"));

        var mapping = Assert.Single(image.BlockDeviceMappings);
        Assert.Equal(image.RootDeviceName, mapping.DeviceName);
        await FailsWithAsync("InvalidSnapshot.InUse", () => EastClient.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = mapping.Ebs.SnapshotId }));
    }
}
