using System.Net;
using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;

namespace AmiRotator.Tests.Emulator;

/// <summary>
/// Patch 9 of test/moto/amirotator_moto.py and moto's own DryRun handling, through the real AWSSDK.EC2 client.
/// [CommonParameters] DryRun: "Checks whether you have the required permissions for the action, without actually
/// making the request, and provides an error response. If you have the required permissions, the error response is
/// DryRunOperation. Otherwise, it is UnauthorizedOperation." EC2 answers the first with HTTP 412 and the second
/// with 403 [errors-overview].
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class MotoDryRunTests(MotoServer moto) : MotoPatchTests(moto)
{
    [Fact]
    public async Task DryRun_WhenAllowed_AnswersDryRunOperationWith412AndChangesNothing()
    {
        var (instanceId, imageId, snapshotId) = await SeedImageAsync();

        var create = await Assert.ThrowsAsync<AmazonEC2Exception>(() => EastClient.CreateImageAsync(new CreateImageRequest { InstanceId = instanceId, Name = "dry-create", DryRun = true }));
        var copy = await Assert.ThrowsAsync<AmazonEC2Exception>(() => WestClient.CopyImageAsync(new CopyImageRequest { SourceImageId = imageId, SourceRegion = East, Name = "dry-copy", ClientToken = "dry-token", DryRun = true }));
        var deregister = await Assert.ThrowsAsync<AmazonEC2Exception>(() => EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageId, DeleteAssociatedSnapshots = true, DryRun = true }));
        var delete = await Assert.ThrowsAsync<AmazonEC2Exception>(() => EastClient.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshotId, DryRun = true }));

        Assert.All(new[] { create, copy, deregister, delete }, e =>
        {
            Assert.Equal("DryRunOperation", e.ErrorCode);
            Assert.Equal(HttpStatusCode.PreconditionFailed, e.StatusCode);
        });
        Assert.Equal([imageId], (await EastClient.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] })).Images.Select(i => i.ImageId));
        Assert.Empty((await WestClient.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] })).Images ?? []);
        Assert.Single((await EastClient.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { SnapshotIds = [snapshotId] })).Snapshots);

        // A dry run consumes no ClientToken: the real copy with the same token still copies.
        var real = await WestClient.CopyImageAsync(new CopyImageRequest { SourceImageId = imageId, SourceRegion = East, Name = "dry-copy", ClientToken = "dry-token" });
        Assert.StartsWith("ami-", real.ImageId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deny_WhenAnActionIsDenied_AnswersUnauthorizedOperationWith403ForRealAndDryRunCalls()
    {
        var (_, imageId, _) = await SeedImageAsync();
        await Moto.DenyAsync("us-west-2:CopyImage", "DeregisterImage");

        var dryCopy = await Assert.ThrowsAsync<AmazonEC2Exception>(() => WestClient.CopyImageAsync(new CopyImageRequest { SourceImageId = imageId, SourceRegion = East, Name = "copy-c", DryRun = true }));
        var realCopy = await Assert.ThrowsAsync<AmazonEC2Exception>(() => WestClient.CopyImageAsync(new CopyImageRequest { SourceImageId = imageId, SourceRegion = East, Name = "copy-c" }));
        var deregister = await Assert.ThrowsAsync<AmazonEC2Exception>(() => EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageId }));

        Assert.All(new[] { dryCopy, realCopy, deregister }, e =>
        {
            Assert.Equal("UnauthorizedOperation", e.ErrorCode);
            Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
            Assert.StartsWith("You are not authorized to perform this operation.", e.Message, StringComparison.Ordinal);
        });
        Assert.Single((await EastClient.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] })).Images);
        Assert.Empty((await WestClient.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] })).Images ?? []);

        // Denied in one Region only: the same action elsewhere still works.
        var eastCopy = await Assert.ThrowsAsync<AmazonEC2Exception>(() => EastClient.CopyImageAsync(new CopyImageRequest { SourceImageId = imageId, SourceRegion = East, Name = "copy-c", DryRun = true }));
        Assert.Equal("DryRunOperation", eastCopy.ErrorCode);
    }

    [Fact]
    public async Task Deny_WhenReset_AllowsEverythingAgain()
    {
        await Moto.DenyAsync("DescribeImages");
        await Assert.ThrowsAsync<AmazonEC2Exception>(() => EastClient.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] }));

        await Moto.ResetAsync();

        Assert.Empty((await EastClient.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] })).Images ?? []);
    }

    [Fact]
    public async Task CallLog_WhenADryRunIsSent_RecordsItsFlagAndStatus()
    {
        var (instanceId, _, _) = await SeedImageAsync();
        await Moto.ResetCallsAsync();
        await Moto.DenyAsync("us-east-1:DeleteSnapshot");

        await Assert.ThrowsAsync<AmazonEC2Exception>(() => EastClient.CreateImageAsync(new CreateImageRequest { InstanceId = instanceId, Name = "dry", DryRun = true }));
        await Assert.ThrowsAsync<AmazonEC2Exception>(() => EastClient.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = "snap-0123456789abcdef0", DryRun = true }));
        await EastClient.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] });

        var calls = await Moto.CallLogAsync();
        Assert.Equal(
            [new MotoCall(East, "CreateImage", 412, true), new MotoCall(East, "DeleteSnapshot", 403, true), new MotoCall(East, "DescribeImages", 200, false)],
            calls);
    }

    private async Task<(string InstanceId, string ImageId, string SnapshotId)> SeedImageAsync()
    {
        var instanceId = await Moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true" });
        var imageId = (await EastClient.CreateImageAsync(new CreateImageRequest { InstanceId = instanceId, Name = "seeded", NoReboot = true })).ImageId;
        var image = Assert.Single((await EastClient.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [imageId] })).Images);
        return (instanceId, imageId, image.BlockDeviceMappings[0].Ebs.SnapshotId);
    }
}
