using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;
using static AmiRotator.Tests.Emulator.EmulatorImages;

namespace AmiRotator.Tests.Emulator;

/// <summary>
/// Patches 4, 5 and 8 of test/moto/amirotator_moto.py (DeregisterImage with DeleteAssociatedSnapshots, DeleteSnapshot
/// of a registered AMI's snapshot, RegisterImage from a snapshot), through the real AWSSDK.EC2 client: each test
/// asserts the documented AWS behaviour the patch adds to moto.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class MotoSnapshotPatchTests(MotoServer moto) : MotoPatchTests(moto)
{
    // Patch 4 [API_DeregisterImage]: DeleteAssociatedSnapshots deletes snapshots no other AMI uses; DeleteSnapshotResults per snapshot.
    [Fact]
    public async Task DeregisterImage_WithDeleteAssociatedSnapshots_DeletesUnsharedSnapshotsAndSkipsSharedOnes()
    {
        var imageA = await CreateImageAsync(East, "dereg-a");
        var snapshotA = (await DescribeImageAsync(EastClient, imageA)).BlockDeviceMappings[0].Ebs.SnapshotId;
        var imageB = await RegisterFromSnapshotAsync(EastClient, "dereg-b", snapshotA); // shares snapshotA

        var first = await EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageA, DeleteAssociatedSnapshots = true });

        var skipped = Assert.Single(first.DeleteSnapshotResults);
        Assert.Equal(snapshotA, skipped.SnapshotId);
        Assert.Equal("skipped", skipped.ReturnCode.Value);
        Assert.True(await SnapshotExistsAsync(EastClient, snapshotA));
        Assert.Empty(await ImagesNamedAsync(EastClient, "dereg-a"));

        var second = await EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageB, DeleteAssociatedSnapshots = true });

        var success = Assert.Single(second.DeleteSnapshotResults);
        Assert.Equal(snapshotA, success.SnapshotId);
        Assert.Equal(SnapshotReturnCodes.Success, success.ReturnCode);
        Assert.False(await SnapshotExistsAsync(EastClient, snapshotA));

        // Without the flag: the snapshot stays and no results are returned.
        var imageC = await CreateImageAsync(East, "dereg-c");
        var snapshotC = (await DescribeImageAsync(EastClient, imageC)).BlockDeviceMappings[0].Ebs.SnapshotId;
        var third = await EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageC });
        Assert.True(third.DeleteSnapshotResults is null || third.DeleteSnapshotResults.Count == 0);
        Assert.True(await SnapshotExistsAsync(EastClient, snapshotC));
    }

    // Patch 5 [API_DeleteSnapshot]: "You cannot delete a snapshot of the root device of an EBS volume used by a registered AMI."
    [Fact]
    public async Task DeleteSnapshot_UsedByARegisteredImage_FailsWithInvalidSnapshotInUse()
    {
        var imageA = await CreateImageAsync(East, "inuse-a");
        var snapshot = (await DescribeImageAsync(EastClient, imageA)).BlockDeviceMappings[0].Ebs.SnapshotId;
        var imageB = await RegisterFromSnapshotAsync(EastClient, "inuse-b", snapshot);

        var own = await Assert.ThrowsAsync<AmazonEC2Exception>(() => EastClient.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshot }));
        Assert.Equal("InvalidSnapshot.InUse", own.ErrorCode);

        // The AMI that created it is gone, but another registered AMI still uses it (moto alone would delete it here).
        await EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageA });
        var shared = await Assert.ThrowsAsync<AmazonEC2Exception>(() => EastClient.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshot }));
        Assert.Equal("InvalidSnapshot.InUse", shared.ErrorCode);

        await EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageB });
        await EastClient.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshot });
        Assert.False(await SnapshotExistsAsync(EastClient, snapshot));
    }

    // Patch 8 (supporting) [API_RegisterImage]: register an AMI from an existing root-volume snapshot.
    [Fact]
    public async Task RegisterImage_FromSnapshot_UsesThatSnapshot()
    {
        var imageA = await CreateImageAsync(East, "reg-src");
        var snapshot = (await DescribeImageAsync(EastClient, imageA)).BlockDeviceMappings[0].Ebs.SnapshotId;
        var snapshotsBefore = (await EastClient.DescribeSnapshotsAsync(new DescribeSnapshotsRequest())).Snapshots?.Count ?? 0;

        var imageB = await RegisterFromSnapshotAsync(EastClient, "reg-from-snap", snapshot);

        var registered = await DescribeImageAsync(EastClient, imageB);
        Assert.Equal(snapshot, Assert.Single(registered.BlockDeviceMappings).Ebs.SnapshotId);
        Assert.Equal("/dev/xvda", registered.RootDeviceName);
        Assert.Equal(snapshotsBefore, (await EastClient.DescribeSnapshotsAsync(new DescribeSnapshotsRequest())).Snapshots?.Count ?? 0);
    }

    private async Task<string> CreateImageAsync(string region, string name)
    {
        var instanceId = await Moto.SeedInstanceAsync(region, new Dictionary<string, string>());
        var ec2 = region == East ? EastClient : WestClient;
        return (await ec2.CreateImageAsync(new CreateImageRequest { InstanceId = instanceId, Name = name, NoReboot = true })).ImageId;
    }
}
