using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;
using static AmiRotator.Tests.Emulator.EmulatorImages;

namespace AmiRotator.Tests.Emulator;

/// <summary>
/// Patches 1, 2 and 3 of test/moto/amirotator_moto.py (CreateImage and CopyImage), Region isolation and the
/// newImageState knob, through the real AWSSDK.EC2 client: each test asserts the documented AWS behaviour the patch
/// adds to moto.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class MotoImagePatchTests(MotoServer moto) : MotoPatchTests(moto)
{
    // Patch 1 [API_CreateImage]: "You can tag the AMI, the snapshots, or both."
    [Fact]
    public async Task CreateImage_WithSnapshotTagSpecification_TagsTheSnapshotsAndTheImage()
    {
        var instanceId = await Moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "daily" });

        var created = await EastClient.CreateImageAsync(new CreateImageRequest
        {
            InstanceId = instanceId,
            Name = "web-20261126T0300Z",
            NoReboot = true,
            TagSpecifications =
            [
                Spec(ResourceType.Image, ("amirotator:managed", "true"), ("Kind", "image")),
                Spec(ResourceType.Snapshot, ("amirotator:managed", "true"), ("Kind", "snapshot")),
            ],
        });

        var image = await DescribeImageAsync(EastClient, created.ImageId);
        Assert.Equal("image", TagValue(image.Tags, "Kind"));
        Assert.Equal("true", TagValue(image.Tags, "amirotator:managed"));
        var snapshotId = Assert.Single(image.BlockDeviceMappings).Ebs.SnapshotId;

        var snapshot = Assert.Single((await EastClient.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { SnapshotIds = [snapshotId] })).Snapshots);
        Assert.Equal("snapshot", TagValue(snapshot.Tags, "Kind"));
        Assert.Equal("true", TagValue(snapshot.Tags, "amirotator:managed"));
    }

    // Patch 2 [errors-overview]: "InvalidAMIName.Duplicate: The specified AMI name is already in use by another AMI."
    [Fact]
    public async Task CreateImage_WithNameUsedInTheRegion_FailsWithInvalidAmiNameDuplicateAndCreatesNothing()
    {
        var eastInstance = await Moto.SeedInstanceAsync(East, new Dictionary<string, string>());
        var westInstance = await Moto.SeedInstanceAsync(West, new Dictionary<string, string>());
        await EastClient.CreateImageAsync(new CreateImageRequest { InstanceId = eastInstance, Name = "dup-name" });

        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() =>
            EastClient.CreateImageAsync(new CreateImageRequest { InstanceId = eastInstance, Name = "dup-name" }));

        Assert.Equal("InvalidAMIName.Duplicate", error.ErrorCode);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Single(await ImagesNamedAsync(EastClient, "dup-name"));

        // Names are unique per account *and Region*: the same name is fine in another Region.
        await WestClient.CreateImageAsync(new CreateImageRequest { InstanceId = westInstance, Name = "dup-name" });
        Assert.Single(await ImagesNamedAsync(WestClient, "dup-name"));
    }

    // Patch 3 [ec2-api-idempotency]: same token + same parameters -> same result; different parameters -> IdempotentParameterMismatch.
    [Fact]
    public async Task CopyImage_WithSameClientToken_ReturnsTheSameImageAndRejectsDifferentParameters()
    {
        var source = await CreateImageAsync(East, "idem-src");
        CopyImageRequest Copy(string name) => new()
        {
            SourceImageId = source,
            SourceRegion = East,
            Name = name,
            ClientToken = "copy-" + source,
        };

        var first = await WestClient.CopyImageAsync(Copy("idem-src"));
        var retry = await WestClient.CopyImageAsync(Copy("idem-src"));

        Assert.Equal(first.ImageId, retry.ImageId);
        Assert.Single(await ImagesNamedAsync(WestClient, "idem-src"));

        var mismatch = await Assert.ThrowsAsync<AmazonEC2Exception>(() => WestClient.CopyImageAsync(Copy("another-name")));
        Assert.Equal("IdempotentParameterMismatch", mismatch.ErrorCode);
        Assert.Single(await ImagesNamedAsync(WestClient, "idem-src"));
        Assert.Empty(await ImagesNamedAsync(WestClient, "another-name"));

        // Without a token every call is a new copy.
        var untokened = await WestClient.CopyImageAsync(new CopyImageRequest { SourceImageId = source, SourceRegion = East, Name = "idem-src-2" });
        Assert.NotEqual(first.ImageId, untokened.ImageId);
    }

    // Patch 3 [API_CopyImage]: CopyImageTags (no aws: tags), TagSpecifications image+snapshot, Encrypted/KmsKeyId.
    [Fact]
    public async Task CopyImage_CopiesUserTagsAppliesTagSpecificationsAndEncryptsTheSnapshot()
    {
        var instanceId = await Moto.SeedInstanceAsync(East, new Dictionary<string, string>());
        var source = (await EastClient.CreateImageAsync(new CreateImageRequest
        {
            InstanceId = instanceId,
            Name = "tagged-src",
            TagSpecifications = [Spec(ResourceType.Image, ("Owner", "team-a"), ("aws:backup:source-resource", "x"))],
        })).ImageId;

        var copy = await WestClient.CopyImageAsync(new CopyImageRequest
        {
            SourceImageId = source,
            SourceRegion = East,
            Name = "tagged-src",
            CopyImageTags = true,
            Encrypted = true,
            KmsKeyId = "arn:aws:kms:us-west-2:123456789012:key/dr-key",
            TagSpecifications =
            [
                Spec(ResourceType.Image, ("amirotator:copy-of", source)),
                Spec(ResourceType.Snapshot, ("amirotator:copy-of", source)),
            ],
        });

        var image = await DescribeImageAsync(WestClient, copy.ImageId);
        Assert.Equal("team-a", TagValue(image.Tags, "Owner"));
        Assert.Null(TagValue(image.Tags, "aws:backup:source-resource"));
        Assert.Equal(source, TagValue(image.Tags, "amirotator:copy-of"));

        var ebs = Assert.Single(image.BlockDeviceMappings).Ebs;
        Assert.True(ebs.Encrypted);
        Assert.Equal("arn:aws:kms:us-west-2:123456789012:key/dr-key", ebs.KmsKeyId);

        var snapshot = Assert.Single((await WestClient.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { SnapshotIds = [ebs.SnapshotId] })).Snapshots);
        Assert.True(snapshot.Encrypted);
        Assert.Equal("arn:aws:kms:us-west-2:123456789012:key/dr-key", snapshot.KmsKeyId);
        Assert.Equal(source, TagValue(snapshot.Tags, "amirotator:copy-of"));

        // Default: CopyImageTags off -> no user tags are copied.
        var plain = await WestClient.CopyImageAsync(new CopyImageRequest { SourceImageId = source, SourceRegion = East, Name = "plain-copy" });
        Assert.Null(TagValue((await DescribeImageAsync(WestClient, plain.ImageId)).Tags, "Owner"));
    }

    // Patch 3 [API_CopyImage, errors-overview]: the source must exist in SourceRegion and be available.
    [Fact]
    public async Task CopyImage_FromMissingOrPendingSource_FailsWithTheDocumentedErrors()
    {
        var missing = await Assert.ThrowsAsync<AmazonEC2Exception>(() => WestClient.CopyImageAsync(new CopyImageRequest
        {
            SourceImageId = "ami-0123456789abcdef0",
            SourceRegion = East,
            Name = "nope",
        }));
        Assert.Equal("InvalidAMIID.NotFound", missing.ErrorCode);

        var westOnly = await CreateImageAsync(West, "lives-in-west");
        var wrongRegion = await Assert.ThrowsAsync<AmazonEC2Exception>(() => WestClient.CopyImageAsync(new CopyImageRequest
        {
            SourceImageId = westOnly,
            SourceRegion = East,
            Name = "wrong-region",
        }));
        Assert.Equal("InvalidAMIID.NotFound", wrongRegion.ErrorCode);

        await Moto.SetNewImageStateAsync("pending");
        var pending = await CreateImageAsync(East, "still-pending");
        var unavailable = await Assert.ThrowsAsync<AmazonEC2Exception>(() => WestClient.CopyImageAsync(new CopyImageRequest
        {
            SourceImageId = pending,
            SourceRegion = East,
            Name = "still-pending",
        }));
        Assert.Equal("InvalidAMIID.Unavailable", unavailable.ErrorCode);
        Assert.Empty(await ImagesNamedAsync(WestClient, "still-pending"));
    }

    // Regions are isolated; CopyImage signed for us-west-2 creates the copy (and its snapshot) in us-west-2.
    [Fact]
    public async Task Regions_AreIsolated_AndCopyImageCreatesTheCopyInTheSigningRegion()
    {
        var source = await CreateImageAsync(East, "isolated");

        Assert.DoesNotContain((await WestClient.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] })).Images ?? [], i => i.ImageId == source);
        var notInWest = await Assert.ThrowsAsync<AmazonEC2Exception>(() => WestClient.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [source] }));
        Assert.Equal("InvalidAMIID.NotFound", notInWest.ErrorCode);

        await Moto.ResetCallsAsync();
        var copy = await WestClient.CopyImageAsync(new CopyImageRequest { SourceImageId = source, SourceRegion = East, Name = "isolated" });
        Assert.Equal(new[] { (West, "CopyImage") }, await Moto.CallsAsync());

        var copied = await DescribeImageAsync(WestClient, copy.ImageId);
        Assert.Equal("isolated", copied.Name);
        var snapshotId = copied.BlockDeviceMappings[0].Ebs.SnapshotId;
        Assert.True(await SnapshotExistsAsync(WestClient, snapshotId));
        Assert.False(await SnapshotExistsAsync(EastClient, snapshotId));
        Assert.DoesNotContain((await EastClient.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] })).Images ?? [], i => i.ImageId == copy.ImageId);
    }

    // Knob: new images can start pending; tests move them to available or failed.
    [Fact]
    public async Task NewImageStateKnob_MakesNewImagesPending_AndImagesCanBeMovedToAvailableOrFailed()
    {
        await Moto.SetNewImageStateAsync("pending");
        var ok = await CreateImageAsync(East, "will-succeed");
        var bad = await CreateImageAsync(East, "will-fail");

        var okImage = await DescribeImageAsync(EastClient, ok);
        Assert.Equal(ImageState.Pending, okImage.State);
        var okSnapshot = Assert.Single((await EastClient.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { SnapshotIds = [okImage.BlockDeviceMappings[0].Ebs.SnapshotId] })).Snapshots);
        Assert.Equal(SnapshotState.Pending, okSnapshot.State);

        await Moto.SetImageStateAsync(ok, "available");
        await Moto.SetImageStateAsync(bad, "failed", "simulated copy failure");

        Assert.Equal(ImageState.Available, (await DescribeImageAsync(EastClient, ok)).State);
        var failed = await DescribeImageAsync(EastClient, bad);
        Assert.Equal(ImageState.Failed, failed.State);
        Assert.Equal("simulated copy failure", failed.StateReason?.Message);

        await Moto.SetNewImageStateAsync("available");
        Assert.Equal(ImageState.Available, (await DescribeImageAsync(EastClient, await CreateImageAsync(East, "immediate"))).State);
    }

    private async Task<string> CreateImageAsync(string region, string name)
    {
        var instanceId = await Moto.SeedInstanceAsync(region, new Dictionary<string, string>());
        var ec2 = region == East ? EastClient : WestClient;
        return (await ec2.CreateImageAsync(new CreateImageRequest { InstanceId = instanceId, Name = name, NoReboot = true })).ImageId;
    }
}
