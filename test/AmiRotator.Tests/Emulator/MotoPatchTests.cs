using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;

namespace AmiRotator.Tests.Emulator;

/// <summary>
/// One test per patch of test/moto/amirotator_moto.py, through the real AWSSDK.EC2 client:
/// each asserts the documented AWS behaviour the patch adds to moto.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class MotoPatchTests : IAsyncLifetime
{
    private const string East = "us-east-1";
    private const string West = "us-west-2";

    private readonly MotoServer _moto;
    private readonly AmazonEC2Client _east;
    private readonly AmazonEC2Client _west;

    public MotoPatchTests(MotoServer moto)
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

    // Patch 1 [API_CreateImage]: "You can tag the AMI, the snapshots, or both."
    [Fact]
    public async Task CreateImage_WithSnapshotTagSpecification_TagsTheSnapshotsAndTheImage()
    {
        var instanceId = await _moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "daily" });

        var created = await _east.CreateImageAsync(new CreateImageRequest
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

        var image = await DescribeImageAsync(_east, created.ImageId);
        Assert.Equal("image", TagValue(image.Tags, "Kind"));
        Assert.Equal("true", TagValue(image.Tags, "amirotator:managed"));
        var snapshotId = Assert.Single(image.BlockDeviceMappings).Ebs.SnapshotId;

        var snapshot = Assert.Single((await _east.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { SnapshotIds = [snapshotId] })).Snapshots);
        Assert.Equal("snapshot", TagValue(snapshot.Tags, "Kind"));
        Assert.Equal("true", TagValue(snapshot.Tags, "amirotator:managed"));
    }

    // Patch 2 [errors-overview]: "InvalidAMIName.Duplicate: The specified AMI name is already in use by another AMI."
    [Fact]
    public async Task CreateImage_WithNameUsedInTheRegion_FailsWithInvalidAmiNameDuplicateAndCreatesNothing()
    {
        var eastInstance = await _moto.SeedInstanceAsync(East, new Dictionary<string, string>());
        var westInstance = await _moto.SeedInstanceAsync(West, new Dictionary<string, string>());
        await _east.CreateImageAsync(new CreateImageRequest { InstanceId = eastInstance, Name = "dup-name" });

        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() =>
            _east.CreateImageAsync(new CreateImageRequest { InstanceId = eastInstance, Name = "dup-name" }));

        Assert.Equal("InvalidAMIName.Duplicate", error.ErrorCode);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Single(await ImagesNamedAsync(_east, "dup-name"));

        // Names are unique per account *and Region*: the same name is fine in another Region.
        await _west.CreateImageAsync(new CreateImageRequest { InstanceId = westInstance, Name = "dup-name" });
        Assert.Single(await ImagesNamedAsync(_west, "dup-name"));
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

        var first = await _west.CopyImageAsync(Copy("idem-src"));
        var retry = await _west.CopyImageAsync(Copy("idem-src"));

        Assert.Equal(first.ImageId, retry.ImageId);
        Assert.Single(await ImagesNamedAsync(_west, "idem-src"));

        var mismatch = await Assert.ThrowsAsync<AmazonEC2Exception>(() => _west.CopyImageAsync(Copy("another-name")));
        Assert.Equal("IdempotentParameterMismatch", mismatch.ErrorCode);
        Assert.Single(await ImagesNamedAsync(_west, "idem-src"));
        Assert.Empty(await ImagesNamedAsync(_west, "another-name"));

        // Without a token every call is a new copy.
        var untokened = await _west.CopyImageAsync(new CopyImageRequest { SourceImageId = source, SourceRegion = East, Name = "idem-src-2" });
        Assert.NotEqual(first.ImageId, untokened.ImageId);
    }

    // Patch 3 [API_CopyImage]: CopyImageTags (no aws: tags), TagSpecifications image+snapshot, Encrypted/KmsKeyId.
    [Fact]
    public async Task CopyImage_CopiesUserTagsAppliesTagSpecificationsAndEncryptsTheSnapshot()
    {
        var instanceId = await _moto.SeedInstanceAsync(East, new Dictionary<string, string>());
        var source = (await _east.CreateImageAsync(new CreateImageRequest
        {
            InstanceId = instanceId,
            Name = "tagged-src",
            TagSpecifications = [Spec(ResourceType.Image, ("Owner", "team-a"), ("aws:backup:source-resource", "x"))],
        })).ImageId;

        var copy = await _west.CopyImageAsync(new CopyImageRequest
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

        var image = await DescribeImageAsync(_west, copy.ImageId);
        Assert.Equal("team-a", TagValue(image.Tags, "Owner"));
        Assert.Null(TagValue(image.Tags, "aws:backup:source-resource"));
        Assert.Equal(source, TagValue(image.Tags, "amirotator:copy-of"));

        var ebs = Assert.Single(image.BlockDeviceMappings).Ebs;
        Assert.True(ebs.Encrypted);
        Assert.Equal("arn:aws:kms:us-west-2:123456789012:key/dr-key", ebs.KmsKeyId);

        var snapshot = Assert.Single((await _west.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { SnapshotIds = [ebs.SnapshotId] })).Snapshots);
        Assert.True(snapshot.Encrypted);
        Assert.Equal("arn:aws:kms:us-west-2:123456789012:key/dr-key", snapshot.KmsKeyId);
        Assert.Equal(source, TagValue(snapshot.Tags, "amirotator:copy-of"));

        // Default: CopyImageTags off -> no user tags are copied.
        var plain = await _west.CopyImageAsync(new CopyImageRequest { SourceImageId = source, SourceRegion = East, Name = "plain-copy" });
        Assert.Null(TagValue((await DescribeImageAsync(_west, plain.ImageId)).Tags, "Owner"));
    }

    // Patch 3 [API_CopyImage, errors-overview]: the source must exist in SourceRegion and be available.
    [Fact]
    public async Task CopyImage_FromMissingOrPendingSource_FailsWithTheDocumentedErrors()
    {
        var missing = await Assert.ThrowsAsync<AmazonEC2Exception>(() => _west.CopyImageAsync(new CopyImageRequest
        {
            SourceImageId = "ami-0123456789abcdef0",
            SourceRegion = East,
            Name = "nope",
        }));
        Assert.Equal("InvalidAMIID.NotFound", missing.ErrorCode);

        var westOnly = await CreateImageAsync(West, "lives-in-west");
        var wrongRegion = await Assert.ThrowsAsync<AmazonEC2Exception>(() => _west.CopyImageAsync(new CopyImageRequest
        {
            SourceImageId = westOnly,
            SourceRegion = East,
            Name = "wrong-region",
        }));
        Assert.Equal("InvalidAMIID.NotFound", wrongRegion.ErrorCode);

        await _moto.SetNewImageStateAsync("pending");
        var pending = await CreateImageAsync(East, "still-pending");
        var unavailable = await Assert.ThrowsAsync<AmazonEC2Exception>(() => _west.CopyImageAsync(new CopyImageRequest
        {
            SourceImageId = pending,
            SourceRegion = East,
            Name = "still-pending",
        }));
        Assert.Equal("InvalidAMIID.Unavailable", unavailable.ErrorCode);
        Assert.Empty(await ImagesNamedAsync(_west, "still-pending"));
    }

    // Patch 4 [API_DeregisterImage]: DeleteAssociatedSnapshots deletes snapshots no other AMI uses; DeleteSnapshotResults per snapshot.
    [Fact]
    public async Task DeregisterImage_WithDeleteAssociatedSnapshots_DeletesUnsharedSnapshotsAndSkipsSharedOnes()
    {
        var imageA = await CreateImageAsync(East, "dereg-a");
        var snapshotA = (await DescribeImageAsync(_east, imageA)).BlockDeviceMappings[0].Ebs.SnapshotId;
        var imageB = await RegisterFromSnapshotAsync(_east, "dereg-b", snapshotA); // shares snapshotA

        var first = await _east.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageA, DeleteAssociatedSnapshots = true });

        var skipped = Assert.Single(first.DeleteSnapshotResults);
        Assert.Equal(snapshotA, skipped.SnapshotId);
        Assert.Equal("skipped", skipped.ReturnCode.Value);
        Assert.True(await SnapshotExistsAsync(_east, snapshotA));
        Assert.Empty(await ImagesNamedAsync(_east, "dereg-a"));

        var second = await _east.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageB, DeleteAssociatedSnapshots = true });

        var success = Assert.Single(second.DeleteSnapshotResults);
        Assert.Equal(snapshotA, success.SnapshotId);
        Assert.Equal(SnapshotReturnCodes.Success, success.ReturnCode);
        Assert.False(await SnapshotExistsAsync(_east, snapshotA));

        // Without the flag: the snapshot stays and no results are returned.
        var imageC = await CreateImageAsync(East, "dereg-c");
        var snapshotC = (await DescribeImageAsync(_east, imageC)).BlockDeviceMappings[0].Ebs.SnapshotId;
        var third = await _east.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageC });
        Assert.True(third.DeleteSnapshotResults is null || third.DeleteSnapshotResults.Count == 0);
        Assert.True(await SnapshotExistsAsync(_east, snapshotC));
    }

    // Patch 5 [API_DeleteSnapshot]: "You cannot delete a snapshot of the root device of an EBS volume used by a registered AMI."
    [Fact]
    public async Task DeleteSnapshot_UsedByARegisteredImage_FailsWithInvalidSnapshotInUse()
    {
        var imageA = await CreateImageAsync(East, "inuse-a");
        var snapshot = (await DescribeImageAsync(_east, imageA)).BlockDeviceMappings[0].Ebs.SnapshotId;
        var imageB = await RegisterFromSnapshotAsync(_east, "inuse-b", snapshot);

        var own = await Assert.ThrowsAsync<AmazonEC2Exception>(() => _east.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshot }));
        Assert.Equal("InvalidSnapshot.InUse", own.ErrorCode);

        // The AMI that created it is gone, but another registered AMI still uses it (moto alone would delete it here).
        await _east.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageA });
        var shared = await Assert.ThrowsAsync<AmazonEC2Exception>(() => _east.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshot }));
        Assert.Equal("InvalidSnapshot.InUse", shared.ErrorCode);

        await _east.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageB });
        await _east.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshot });
        Assert.False(await SnapshotExistsAsync(_east, snapshot));
    }

    // Patch 6 [API_DescribeImageReferences, API_ResourceTypeOption, API_ImageReference].
    [Fact]
    public async Task DescribeImageReferences_ReportsInstancesAndLaunchTemplateVersionsUsingTheImage()
    {
        var image = await CreateImageAsync(East, "referenced");
        var other = await CreateImageAsync(East, "unreferenced");
        var run = await _east.RunInstancesAsync(new RunInstancesRequest { ImageId = image, MinCount = 1, MaxCount = 1, InstanceType = InstanceType.T3Micro });
        var instanceId = run.Reservation.Instances[0].InstanceId;
        var template = (await _east.CreateLaunchTemplateAsync(new CreateLaunchTemplateRequest
        {
            LaunchTemplateName = "web",
            LaunchTemplateData = new RequestLaunchTemplateData { ImageId = image },
        })).LaunchTemplate.LaunchTemplateId;
        await _east.CreateLaunchTemplateVersionAsync(new CreateLaunchTemplateVersionRequest { LaunchTemplateId = template, LaunchTemplateData = new RequestLaunchTemplateData { ImageId = other } });
        await _east.CreateLaunchTemplateVersionAsync(new CreateLaunchTemplateVersionRequest { LaunchTemplateId = template, LaunchTemplateData = new RequestLaunchTemplateData { ImageId = image } });

        var all = await _east.DescribeImageReferencesAsync(new DescribeImageReferencesRequest { ImageIds = [image, other], IncludeAllResourceTypes = true });

        var arns = all.ImageReferences.Select(r => (r.ImageId, Type: r.ResourceType.Value, r.Arn)).OrderBy(r => r.Arn, StringComparer.Ordinal).ToList();
        Assert.Equal(
            new[]
            {
                (image, "ec2:Instance", $"arn:aws:ec2:us-east-1:123456789012:instance/{instanceId}"),
                (image, "ec2:LaunchTemplate", $"arn:aws:ec2:us-east-1:123456789012:launch-template/{template}/1"),
                (other, "ec2:LaunchTemplate", $"arn:aws:ec2:us-east-1:123456789012:launch-template/{template}/2"),
                (image, "ec2:LaunchTemplate", $"arn:aws:ec2:us-east-1:123456789012:launch-template/{template}/3"),
            },
            arns);

        // ResourceTypeOptions narrow the scan: only running instances; only the latest launch template version.
        await _east.StopInstancesAsync(new StopInstancesRequest { InstanceIds = [instanceId] });
        var narrowed = await _east.DescribeImageReferencesAsync(new DescribeImageReferencesRequest
        {
            ImageIds = [image],
            ResourceTypes =
            [
                new ResourceTypeRequest
                {
                    ResourceType = "ec2:Instance",
                    ResourceTypeOptions = [new ResourceTypeOption { OptionName = "state-name", OptionValues = ["running"] }],
                },
                new ResourceTypeRequest
                {
                    ResourceType = "ec2:LaunchTemplate",
                    ResourceTypeOptions = [new ResourceTypeOption { OptionName = "version-depth", OptionValues = ["1"] }],
                },
            ],
        });
        var latest = Assert.Single(narrowed.ImageReferences);
        Assert.EndsWith($"launch-template/{template}/3", latest.Arn, StringComparison.Ordinal);

        var tooMany = await Assert.ThrowsAsync<AmazonEC2Exception>(() => _east.DescribeImageReferencesAsync(new DescribeImageReferencesRequest
        {
            ImageIds = Enumerable.Range(0, 11).Select(i => $"ami-{i:x17}").ToList(),
            IncludeAllResourceTypes = true,
        }));
        Assert.Equal("InvalidParameterValue", tooMany.ErrorCode);
    }

    // Patch 7: the call log records every request's SigV4 Region and Action; both resets clear it.
    [Fact]
    public async Task DescribeImageReferencesKnob_WhenOff_AnswersInvalidActionUntilReset()
    {
        using var http = new HttpClient { BaseAddress = _moto.Url };
        using var off = new StringContent("""{"describeImageReferences":false}""", System.Text.Encoding.UTF8, "application/json");
        (await http.PostAsync(new Uri("_amirotator/config", UriKind.Relative), off)).EnsureSuccessStatusCode();
        var request = new DescribeImageReferencesRequest { ImageIds = ["ami-12345678"], IncludeAllResourceTypes = true };

        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => _east.DescribeImageReferencesAsync(request));
        Assert.Equal("InvalidAction", error.ErrorCode);

        await _moto.ResetAsync();
        var answer = await _east.DescribeImageReferencesAsync(request);
        Assert.Empty(answer.ImageReferences ?? []);
    }

    [Fact]
    public async Task CallLog_RecordsRegionAndActionOfEveryRequest_AndIsClearedByResets()
    {
        await _east.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] });
        await _east.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] });
        await _west.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { OwnerIds = ["self"] });
        await Assert.ThrowsAsync<AmazonEC2Exception>(() => _west.DeregisterImageAsync(new DeregisterImageRequest { ImageId = "ami-0000000000000dead" }));

        var calls = await _moto.CallsAsync();

        Assert.Equal(
            new[] { (East, "DescribeImages"), (East, "DescribeImages"), (West, "DescribeSnapshots"), (West, "DeregisterImage") },
            calls);

        await _moto.ResetCallsAsync();
        Assert.Empty(await _moto.CallsAsync());

        // moto's own POST /moto-api/reset clears our state too: call log and client tokens.
        var source = await CreateImageAsync(East, "token-src");
        await _west.CopyImageAsync(new CopyImageRequest { SourceImageId = source, SourceRegion = East, Name = "copy-a", ClientToken = "t-1" });
        await _moto.ResetAsync();
        Assert.Empty(await _moto.CallsAsync());
        var source2 = await CreateImageAsync(East, "token-src");
        var afterReset = await _west.CopyImageAsync(new CopyImageRequest { SourceImageId = source2, SourceRegion = East, Name = "copy-b", ClientToken = "t-1" });
        Assert.StartsWith("ami-", afterReset.ImageId, StringComparison.Ordinal);
    }

    // Regions are isolated; CopyImage signed for us-west-2 creates the copy (and its snapshot) in us-west-2.
    [Fact]
    public async Task Regions_AreIsolated_AndCopyImageCreatesTheCopyInTheSigningRegion()
    {
        var source = await CreateImageAsync(East, "isolated");

        Assert.DoesNotContain((await _west.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] })).Images ?? [], i => i.ImageId == source);
        var notInWest = await Assert.ThrowsAsync<AmazonEC2Exception>(() => _west.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [source] }));
        Assert.Equal("InvalidAMIID.NotFound", notInWest.ErrorCode);

        await _moto.ResetCallsAsync();
        var copy = await _west.CopyImageAsync(new CopyImageRequest { SourceImageId = source, SourceRegion = East, Name = "isolated" });
        Assert.Equal(new[] { (West, "CopyImage") }, await _moto.CallsAsync());

        var copied = await DescribeImageAsync(_west, copy.ImageId);
        Assert.Equal("isolated", copied.Name);
        var snapshotId = copied.BlockDeviceMappings[0].Ebs.SnapshotId;
        Assert.True(await SnapshotExistsAsync(_west, snapshotId));
        Assert.False(await SnapshotExistsAsync(_east, snapshotId));
        Assert.DoesNotContain((await _east.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] })).Images ?? [], i => i.ImageId == copy.ImageId);
    }

    // Knob: new images can start pending; tests move them to available or failed.
    [Fact]
    public async Task NewImageStateKnob_MakesNewImagesPending_AndImagesCanBeMovedToAvailableOrFailed()
    {
        await _moto.SetNewImageStateAsync("pending");
        var ok = await CreateImageAsync(East, "will-succeed");
        var bad = await CreateImageAsync(East, "will-fail");

        var okImage = await DescribeImageAsync(_east, ok);
        Assert.Equal(ImageState.Pending, okImage.State);
        var okSnapshot = Assert.Single((await _east.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { SnapshotIds = [okImage.BlockDeviceMappings[0].Ebs.SnapshotId] })).Snapshots);
        Assert.Equal(SnapshotState.Pending, okSnapshot.State);

        await _moto.SetImageStateAsync(ok, "available");
        await _moto.SetImageStateAsync(bad, "failed", "simulated copy failure");

        Assert.Equal(ImageState.Available, (await DescribeImageAsync(_east, ok)).State);
        var failed = await DescribeImageAsync(_east, bad);
        Assert.Equal(ImageState.Failed, failed.State);
        Assert.Equal("simulated copy failure", failed.StateReason?.Message);

        await _moto.SetNewImageStateAsync("available");
        Assert.Equal(ImageState.Available, (await DescribeImageAsync(_east, await CreateImageAsync(East, "immediate"))).State);
    }

    // Patch 8 (supporting) [API_RegisterImage]: register an AMI from an existing root-volume snapshot.
    [Fact]
    public async Task RegisterImage_FromSnapshot_UsesThatSnapshot()
    {
        var imageA = await CreateImageAsync(East, "reg-src");
        var snapshot = (await DescribeImageAsync(_east, imageA)).BlockDeviceMappings[0].Ebs.SnapshotId;
        var snapshotsBefore = (await _east.DescribeSnapshotsAsync(new DescribeSnapshotsRequest())).Snapshots?.Count ?? 0;

        var imageB = await RegisterFromSnapshotAsync(_east, "reg-from-snap", snapshot);

        var registered = await DescribeImageAsync(_east, imageB);
        Assert.Equal(snapshot, Assert.Single(registered.BlockDeviceMappings).Ebs.SnapshotId);
        Assert.Equal("/dev/xvda", registered.RootDeviceName);
        Assert.Equal(snapshotsBefore, (await _east.DescribeSnapshotsAsync(new DescribeSnapshotsRequest())).Snapshots?.Count ?? 0);
    }

    private async Task<string> CreateImageAsync(string region, string name)
    {
        var instanceId = await _moto.SeedInstanceAsync(region, new Dictionary<string, string>());
        var ec2 = region == East ? _east : _west;
        return (await ec2.CreateImageAsync(new CreateImageRequest { InstanceId = instanceId, Name = name, NoReboot = true })).ImageId;
    }

    private static async Task<string> RegisterFromSnapshotAsync(AmazonEC2Client ec2, string name, string snapshotId) =>
        (await ec2.RegisterImageAsync(new RegisterImageRequest
        {
            Name = name,
            RootDeviceName = "/dev/xvda",
            BlockDeviceMappings = [new BlockDeviceMapping { DeviceName = "/dev/xvda", Ebs = new EbsBlockDevice { SnapshotId = snapshotId } }],
        })).ImageId;

    private static async Task<Image> DescribeImageAsync(AmazonEC2Client ec2, string imageId) =>
        Assert.Single((await ec2.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [imageId] })).Images);

    private static async Task<List<Image>> ImagesNamedAsync(AmazonEC2Client ec2, string name) =>
        (await ec2.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"], Filters = [new Filter("name", [name])] })).Images ?? [];

    private static async Task<bool> SnapshotExistsAsync(AmazonEC2Client ec2, string snapshotId)
    {
        var found = await ec2.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { Filters = [new Filter("snapshot-id", [snapshotId])] });
        return found.Snapshots?.Count > 0;
    }

    private static TagSpecification Spec(ResourceType type, params (string Key, string Value)[] tags) =>
        new() { ResourceType = type, Tags = tags.Select(t => new Tag(t.Key, t.Value)).ToList() };

    private static string? TagValue(List<Tag>? tags, string key) =>
        tags?.FirstOrDefault(t => t.Key == key)?.Value;
}
