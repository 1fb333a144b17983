using System.Text;
using System.Text.Json;
using Amazon.EC2.Model;
using AmiRotator.Lambda;
using AmiRotator.Reporting;
using AmiRotator.Tests.Emulator;
using Xunit;

namespace AmiRotator.Tests.Integration;

/// <summary>An image still used by a launch template or an instance is never retired, with or without DescribeImageReferences.</summary>
[Collection(MotoCollection.Name)]
public sealed class InUseTests(MotoServer moto) : IAsyncLifetime
{
    private const string East = "us-east-1";

    public Task InitializeAsync() => moto.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private Task<JsonElement> InvokeAsync(string payload) =>
        EmulatedFunction.Create(moto, new Dictionary<string, string> { ["RETENTION"] = "keep-last=1" }).InvokeAsync(payload);

    private async Task<(string Instance, List<string> Images)> ThreeBackupsAsync()
    {
        var instance = await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true" });
        var images = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var run = await InvokeAsync($$"""{"action":"backup","instanceIds":["{{instance}}"],"idempotencyToken":"backup-{{i}}"}""");
            Assert.True(run.GetProperty("created").GetArrayLength() == 1, run.ToString());
            images.Add(run.GetProperty("created")[0].GetProperty("imageId").GetString()!);
            await Task.Delay(1100); // CreationDate has one-second resolution
        }

        return (instance, images);
    }

    private async Task SetReferencesSupportedAsync(bool supported)
    {
        using var http = new HttpClient { BaseAddress = moto.Url };
        using var body = new StringContent($$"""{"describeImageReferences":{{(supported ? "true" : "false")}}}""", Encoding.UTF8, "application/json");
        (await http.PostAsync(new Uri("_amirotator/config", UriKind.Relative), body)).EnsureSuccessStatusCode();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Prune_WhenOldBackupIsUsedByLaunchTemplateOrInstance_KeepsItAndSaysWhy(bool describeImageReferences)
    {
        var (_, images) = await ThreeBackupsAsync();
        using var ec2 = moto.Client(East);
        var template = await ec2.CreateLaunchTemplateAsync(new CreateLaunchTemplateRequest
        {
            LaunchTemplateName = "web-fleet",
            LaunchTemplateData = new RequestLaunchTemplateData { ImageId = images[0] },
        });
        await ec2.RunInstancesAsync(new RunInstancesRequest { ImageId = images[1], MinCount = 1, MaxCount = 1 });
        await SetReferencesSupportedAsync(describeImageReferences);

        var prune = await InvokeAsync("""{"action":"prune"}""");

        Assert.Equal(0, prune.GetProperty("retired").GetArrayLength());
        var kept = prune.GetProperty("kept").EnumerateArray().ToDictionary(k => k.GetProperty("imageId").GetString()!, k => string.Join(",", k.GetProperty("reasons").EnumerateArray().Select(r => r.GetString())));
        Assert.Contains($"in use by {template.LaunchTemplate.LaunchTemplateId}/1", kept[images[0]], StringComparison.Ordinal);
        Assert.Contains("in use by i-", kept[images[1]], StringComparison.Ordinal);
        Assert.Contains("newest", kept[images[2]], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prune_WhenTheTemplateMovesOn_RetiresTheNoLongerUsedBackup()
    {
        var (_, images) = await ThreeBackupsAsync();
        using var ec2 = moto.Client(East);
        await ec2.CreateLaunchTemplateAsync(new CreateLaunchTemplateRequest
        {
            LaunchTemplateName = "web-fleet",
            LaunchTemplateData = new RequestLaunchTemplateData { ImageId = images[2] },
        });

        var prune = await InvokeAsync("""{"action":"prune"}""");

        Assert.Equal(images.Take(2).Order(StringComparer.Ordinal), prune.GetProperty("retired").EnumerateArray().Select(r => r.GetProperty("imageId").GetString()).Order(StringComparer.Ordinal));
    }
}
