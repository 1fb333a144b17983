using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;

namespace AmiRotator.Tests.Emulator;

/// <summary>Small helpers the emulator semantics tests share: images, snapshots, tags and the documented error codes.</summary>
internal static class EmulatorImages
{
    /// <summary>CreateImage of a freshly seeded instance in the client's Region.</summary>
    public static async Task<string> CreateImageAsync(MotoServer moto, AmazonEC2Client ec2, string region, string name, string? description = null)
    {
        var instanceId = await moto.SeedInstanceAsync(region, new Dictionary<string, string>());
        return (await ec2.CreateImageAsync(new CreateImageRequest { InstanceId = instanceId, Name = name, Description = description, NoReboot = true })).ImageId;
    }

    /// <summary>A completed snapshot of a new 8 GiB volume.</summary>
    public static async Task<string> SnapshotAsync(AmazonEC2Client ec2, string availabilityZone)
    {
        var volume = await ec2.CreateVolumeAsync(new CreateVolumeRequest { AvailabilityZone = availabilityZone, Size = 8 });
        return (await ec2.CreateSnapshotAsync(new CreateSnapshotRequest { VolumeId = volume.Volume.VolumeId })).Snapshot.SnapshotId;
    }

    /// <summary>RegisterImage with one EBS mapping per (device, snapshot), in that order.</summary>
    public static async Task<string> RegisterAsync(AmazonEC2Client ec2, string name, string? rootDeviceName, params (string Device, string SnapshotId)[] mappings) =>
        (await ec2.RegisterImageAsync(new RegisterImageRequest
        {
            Name = name,
            RootDeviceName = rootDeviceName,
            BlockDeviceMappings = mappings.Select(m => new BlockDeviceMapping { DeviceName = m.Device, Ebs = new EbsBlockDevice { SnapshotId = m.SnapshotId } }).ToList(),
        })).ImageId;

    public static async Task<Image> DescribeImageAsync(AmazonEC2Client ec2, string imageId) =>
        Assert.Single((await ec2.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [imageId] })).Images);

    public static async Task<List<Image>> OwnImagesAsync(AmazonEC2Client ec2, params Filter[] filters) =>
        (await ec2.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"], Filters = filters.Length > 0 ? [.. filters] : null })).Images ?? [];

    public static async Task<bool> SnapshotExistsAsync(AmazonEC2Client ec2, string snapshotId)
    {
        var found = await ec2.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { Filters = [new Filter("snapshot-id", [snapshotId])] });
        return found.Snapshots?.Count > 0;
    }

    public static async Task<string> RegisterFromSnapshotAsync(AmazonEC2Client ec2, string name, string snapshotId) =>
        (await ec2.RegisterImageAsync(new RegisterImageRequest
        {
            Name = name,
            RootDeviceName = "/dev/xvda",
            BlockDeviceMappings = [new BlockDeviceMapping { DeviceName = "/dev/xvda", Ebs = new EbsBlockDevice { SnapshotId = snapshotId } }],
        })).ImageId;

    public static async Task<List<Image>> ImagesNamedAsync(AmazonEC2Client ec2, string name) =>
        (await ec2.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"], Filters = [new Filter("name", [name])] })).Images ?? [];

    public static TagSpecification Spec(ResourceType type, params (string Key, string Value)[] tags) =>
        new() { ResourceType = type, Tags = tags.Select(t => new Tag(t.Key, t.Value)).ToList() };

    public static string? TagValue(List<Tag>? tags, string key) =>
        tags?.FirstOrDefault(t => t.Key == key)?.Value;

    /// <summary>Asserts the call fails with this EC2 error code (HTTP 400, a client error) and returns the error.</summary>
    public static async Task<AmazonEC2Exception> FailsWithAsync(string errorCode, Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(call);
        Assert.Equal(errorCode, error.ErrorCode);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, error.StatusCode);
        return error;
    }
}
