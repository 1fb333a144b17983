using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;
using static AmiRotator.Tests.Emulator.EmulatorImages;

namespace AmiRotator.Tests.Emulator;

/// <summary>
/// Patch 12 of test/moto/amirotator_moto.py: the Recycle Bin for AMIs, through the real AWSSDK.EC2 client.
/// [API_DeregisterImage] "If a deregistered EBS-backed AMI matches a Recycle Bin retention rule, it moves to the Recycle
/// Bin for the specified retention period. It can be restored before its retention period expires".
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class MotoRecycleBinTests(MotoServer moto) : MotoPatchTests(moto)
{
    private const string BinTag = "aws:recycle-bin:resource-in-bin";

    // [recycle-bin] "After you restore a resource from the Recycle Bin, the resource is removed from the Recycle Bin and
    // you can use it in the same way that you use any other resource of that type"; [recycle-bin-factors] the bin tag.
    [Fact]
    public async Task Deregister_WithARetentionRule_MovesTheImageToTheBin_AndRestoreRegistersItAgain()
    {
        var instanceId = await Moto.SeedInstanceAsync(East, new Dictionary<string, string>());
        await Moto.SetRecycleBinAsync(true, days: 10);
        var imageId = (await EastClient.CreateImageAsync(new CreateImageRequest
        {
            InstanceId = instanceId,
            Name = "binned",
            Description = "goes to the bin",
            TagSpecifications = [new TagSpecification { ResourceType = ResourceType.Image, Tags = [new Tag("Owner", "team-a")] }],
        })).ImageId;

        var before = DateTime.UtcNow.AddSeconds(-2);
        await EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageId });

        // Deregistered: not listed, and by id like any deregistered AMI.
        Assert.Empty(await OwnImagesAsync(EastClient));
        Assert.Empty((await EastClient.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [imageId] })).Images ?? []);
        await FailsWithAsync("InvalidAMIID.Unavailable", () => EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageId }));
        Assert.Contains(await TagsAsync(imageId), t => t.Key == BinTag && t.Value == "true");

        var listed = Assert.Single((await EastClient.ListImagesInRecycleBinAsync(new ListImagesInRecycleBinRequest())).Images);
        Assert.Equal((imageId, "binned", "goes to the bin"), (listed.ImageId, listed.Name, listed.Description));
        Assert.InRange(listed.RecycleBinEnterTime!.Value.ToUniversalTime(), before, DateTime.UtcNow.AddSeconds(2));
        Assert.Equal(listed.RecycleBinEnterTime.Value.AddDays(10), listed.RecycleBinExitTime);

        var restored = await EastClient.RestoreImageFromRecycleBinAsync(new RestoreImageFromRecycleBinRequest { ImageId = imageId });

        Assert.True(restored.Return);
        var image = await DescribeImageAsync(EastClient, imageId);
        Assert.Equal(ImageState.Available, image.State);
        Assert.Contains(image.Tags, t => t.Key == "Owner" && t.Value == "team-a");
        Assert.DoesNotContain(image.Tags, t => t.Key == BinTag);
        Assert.Empty((await EastClient.ListImagesInRecycleBinAsync(new ListImagesInRecycleBinRequest())).Images ?? []);
    }

    // [API_DeregisterImage] "If the deregistered AMI doesn't match a retention rule, it is permanently deleted immediately."
    [Fact]
    public async Task Deregister_WithoutARetentionRule_DeletesTheImagePermanently_AndResetClearsTheBinAndTheRule()
    {
        var instanceId = await Moto.SeedInstanceAsync(East, new Dictionary<string, string>());
        var permanent = (await EastClient.CreateImageAsync(new CreateImageRequest { InstanceId = instanceId, Name = "no-rule" })).ImageId;

        await EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = permanent });

        Assert.Empty((await EastClient.ListImagesInRecycleBinAsync(new ListImagesInRecycleBinRequest())).Images ?? []);
        await FailsWithAsync("InvalidAMIID.NotFound", () => EastClient.RestoreImageFromRecycleBinAsync(new RestoreImageFromRecycleBinRequest { ImageId = permanent }));

        await Moto.SetRecycleBinAsync(true);
        var binned = (await EastClient.CreateImageAsync(new CreateImageRequest { InstanceId = instanceId, Name = "with-rule" })).ImageId;
        await EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = binned });
        Assert.Single((await EastClient.ListImagesInRecycleBinAsync(new ListImagesInRecycleBinRequest())).Images);

        await Moto.ResetAsync();

        Assert.Empty((await EastClient.ListImagesInRecycleBinAsync(new ListImagesInRecycleBinRequest())).Images ?? []);
        instanceId = await Moto.SeedInstanceAsync(East, new Dictionary<string, string>()); // its seed image is not binned: the rule is gone
        Assert.Empty((await EastClient.ListImagesInRecycleBinAsync(new ListImagesInRecycleBinRequest())).Images ?? []);
    }

    // The docs don't say what DeleteAssociatedSnapshots does to an AMI that goes to the bin: the emulator deletes the
    // snapshots as without a rule. [recycle-bin-factors] deleting an AMI's snapshots first "would make the AMI
    // unrecoverable": RestoreImageFromRecycleBin then fails. [API_DeleteSnapshot] protects only snapshots of registered
    // AMIs, and one in the bin is not registered.
    [Fact]
    public async Task Deregister_WithDeleteAssociatedSnapshots_IntoTheBin_DeletesTheSnapshotsAndTheImageCannotBeRestored()
    {
        var instanceId = await Moto.SeedInstanceAsync(East, new Dictionary<string, string>());
        await Moto.SetRecycleBinAsync(true);
        var withSnapshots = (await EastClient.CreateImageAsync(new CreateImageRequest { InstanceId = instanceId, Name = "snapshots-deleted" })).ImageId;
        var kept = (await EastClient.CreateImageAsync(new CreateImageRequest { InstanceId = instanceId, Name = "snapshots-kept" })).ImageId;
        var keptSnapshot = (await DescribeImageAsync(EastClient, kept)).BlockDeviceMappings[0].Ebs.SnapshotId;

        var result = await EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = withSnapshots, DeleteAssociatedSnapshots = true });

        Assert.Equal(SnapshotReturnCodes.Success, Assert.Single(result.DeleteSnapshotResults).ReturnCode);
        Assert.Equal(withSnapshots, Assert.Single((await EastClient.ListImagesInRecycleBinAsync(new ListImagesInRecycleBinRequest())).Images).ImageId);
        await FailsWithAsync("InvalidSnapshot.NotFound", () => EastClient.RestoreImageFromRecycleBinAsync(new RestoreImageFromRecycleBinRequest { ImageId = withSnapshots }));

        // The snapshot of an AMI in the bin can be deleted by DeleteSnapshot too.
        await EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = kept });
        await EastClient.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = keptSnapshot });
        Assert.False(await SnapshotExistsAsync(EastClient, keptSnapshot));
    }

    // [API_ListImagesInRecycleBin] ImageId.N "You can specify up to 20 IDs in a single request"; MaxResults 1-1000;
    // nextToken "to get the next page of items".
    [Fact]
    public async Task ListImagesInRecycleBin_FiltersByImageIdAndPagesWithMaxResultsAndNextToken()
    {
        var instanceId = await Moto.SeedInstanceAsync(East, new Dictionary<string, string>());
        await Moto.SetRecycleBinAsync(true);
        var ids = new List<string>();
        foreach (var name in new[] { "bin-a", "bin-b", "bin-c" })
        {
            var id = (await EastClient.CreateImageAsync(new CreateImageRequest { InstanceId = instanceId, Name = name })).ImageId;
            await EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = id });
            ids.Add(id);
        }

        var first = await EastClient.ListImagesInRecycleBinAsync(new ListImagesInRecycleBinRequest { MaxResults = 2 });
        Assert.Equal(2, first.Images.Count);
        Assert.False(string.IsNullOrEmpty(first.NextToken));
        var second = await EastClient.ListImagesInRecycleBinAsync(new ListImagesInRecycleBinRequest { MaxResults = 2, NextToken = first.NextToken });
        Assert.Single(second.Images);
        Assert.True(string.IsNullOrEmpty(second.NextToken));
        Assert.Equal(ids.Order(StringComparer.Ordinal), first.Images.Concat(second.Images).Select(i => i.ImageId).Order(StringComparer.Ordinal));

        var one = await EastClient.ListImagesInRecycleBinAsync(new ListImagesInRecycleBinRequest { ImageIds = [ids[1], "ami-0123456789abcdef0"] });
        Assert.Equal(ids[1], Assert.Single(one.Images).ImageId);

        await FailsWithAsync("InvalidParameterValue", () => EastClient.ListImagesInRecycleBinAsync(new ListImagesInRecycleBinRequest
        {
            ImageIds = Enumerable.Range(0, 21).Select(i => $"ami-{i:x17}").ToList(),
        }));
    }

    private async Task<List<TagDescription>> TagsAsync(string resourceId) =>
        (await EastClient.DescribeTagsAsync(new DescribeTagsRequest { Filters = [new Filter("resource-id", [resourceId])] })).Tags ?? [];
}
