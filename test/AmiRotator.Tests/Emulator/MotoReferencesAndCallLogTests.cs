using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;
using static AmiRotator.Tests.Emulator.EmulatorImages;

namespace AmiRotator.Tests.Emulator;

/// <summary>
/// Patches 6 and 7 of test/moto/amirotator_moto.py (DescribeImageReferences and its knob, the call log), through the
/// real AWSSDK.EC2 client: each test asserts the documented AWS behaviour the patch adds to moto.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class MotoReferencesAndCallLogTests(MotoServer moto) : MotoPatchTests(moto)
{
    // Patch 6 [API_DescribeImageReferences, API_ResourceTypeOption, API_ImageReference].
    [Fact]
    public async Task DescribeImageReferences_ReportsInstancesAndLaunchTemplateVersionsUsingTheImage()
    {
        var image = await CreateImageAsync(East, "referenced");
        var other = await CreateImageAsync(East, "unreferenced");
        var run = await EastClient.RunInstancesAsync(new RunInstancesRequest { ImageId = image, MinCount = 1, MaxCount = 1, InstanceType = InstanceType.T3Micro });
        var instanceId = run.Reservation.Instances[0].InstanceId;
        var template = (await EastClient.CreateLaunchTemplateAsync(new CreateLaunchTemplateRequest
        {
            LaunchTemplateName = "web",
            LaunchTemplateData = new RequestLaunchTemplateData { ImageId = image },
        })).LaunchTemplate.LaunchTemplateId;
        await EastClient.CreateLaunchTemplateVersionAsync(new CreateLaunchTemplateVersionRequest { LaunchTemplateId = template, LaunchTemplateData = new RequestLaunchTemplateData { ImageId = other } });
        await EastClient.CreateLaunchTemplateVersionAsync(new CreateLaunchTemplateVersionRequest { LaunchTemplateId = template, LaunchTemplateData = new RequestLaunchTemplateData { ImageId = image } });

        var all = await EastClient.DescribeImageReferencesAsync(new DescribeImageReferencesRequest { ImageIds = [image, other], IncludeAllResourceTypes = true });

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
        await EastClient.StopInstancesAsync(new StopInstancesRequest { InstanceIds = [instanceId] });
        var narrowed = await EastClient.DescribeImageReferencesAsync(new DescribeImageReferencesRequest
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

        var tooMany = await Assert.ThrowsAsync<AmazonEC2Exception>(() => EastClient.DescribeImageReferencesAsync(new DescribeImageReferencesRequest
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
        using var http = new HttpClient { BaseAddress = Moto.Url };
        using var off = new StringContent("""{"describeImageReferences":false}""", System.Text.Encoding.UTF8, "application/json");
        (await http.PostAsync(new Uri("_amirotator/config", UriKind.Relative), off)).EnsureSuccessStatusCode();
        var request = new DescribeImageReferencesRequest { ImageIds = ["ami-12345678"], IncludeAllResourceTypes = true };

        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => EastClient.DescribeImageReferencesAsync(request));
        Assert.Equal("InvalidAction", error.ErrorCode);

        await Moto.ResetAsync();
        var answer = await EastClient.DescribeImageReferencesAsync(request);
        Assert.Empty(answer.ImageReferences ?? []);
    }

    [Fact]
    public async Task CallLog_RecordsRegionAndActionOfEveryRequest_AndIsClearedByResets()
    {
        await EastClient.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] });
        await EastClient.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] });
        await WestClient.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { OwnerIds = ["self"] });
        await Assert.ThrowsAsync<AmazonEC2Exception>(() => WestClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = "ami-0000000000000dead" }));

        var calls = await Moto.CallsAsync();

        Assert.Equal(
            new[] { (East, "DescribeImages"), (East, "DescribeImages"), (West, "DescribeSnapshots"), (West, "DeregisterImage") },
            calls);

        await Moto.ResetCallsAsync();
        Assert.Empty(await Moto.CallsAsync());

        // moto's own POST /moto-api/reset clears our state too: call log and client tokens.
        var source = await CreateImageAsync(East, "token-src");
        await WestClient.CopyImageAsync(new CopyImageRequest { SourceImageId = source, SourceRegion = East, Name = "copy-a", ClientToken = "t-1" });
        await Moto.ResetAsync();
        Assert.Empty(await Moto.CallsAsync());
        var source2 = await CreateImageAsync(East, "token-src");
        var afterReset = await WestClient.CopyImageAsync(new CopyImageRequest { SourceImageId = source2, SourceRegion = East, Name = "copy-b", ClientToken = "t-1" });
        Assert.StartsWith("ami-", afterReset.ImageId, StringComparison.Ordinal);
    }

    private async Task<string> CreateImageAsync(string region, string name)
    {
        var instanceId = await Moto.SeedInstanceAsync(region, new Dictionary<string, string>());
        var ec2 = region == East ? EastClient : WestClient;
        return (await ec2.CreateImageAsync(new CreateImageRequest { InstanceId = instanceId, Name = name, NoReboot = true })).ImageId;
    }
}
