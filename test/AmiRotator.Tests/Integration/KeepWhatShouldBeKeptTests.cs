using System.Text.Json;
using Amazon.EC2;
using Amazon.EC2.Model;
using AmiRotator.Lambda;
using AmiRotator.Tests.Emulator;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace AmiRotator.Tests.Integration;

/// <summary>
/// The ways a backup that should be kept could be lost, or never made, under AWS's real semantics (issue 9), each
/// through the real pass against the emulator: decommissioned servers, two stacks, DR copies in progress, old launch
/// template versions, reused ClientTokens and retried manual runs.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class KeepWhatShouldBeKeptTests(MotoServer moto) : IAsyncLifetime
{
    private const string East = "us-east-1";
    private const string West = "us-west-2";
    private static readonly DateTimeOffset Night = new(2026, 11, 26, 3, 0, 0, TimeSpan.Zero);

    public Task InitializeAsync() => moto.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private Function Stack(params (string Key, string Value)[] settings) =>
        EmulatedFunction.Create(moto, settings.ToDictionary(s => s.Key, s => s.Value));

    private static string Scheduled(int night) =>
        $$"""{"action":"run","scheduledTime":"{{Night.AddDays(night):yyyy-MM-ddTHH:mm:ssZ}}"}""";

    private async Task<List<Image>> BackupsAsync(string region, string instanceId)
    {
        using var ec2 = moto.Client(region);
        var images = (await ec2.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] })).Images ?? [];
        return [.. images.Where(i => i.Tags?.Any(t => t.Key == "ami-rotator:instance-id" && t.Value == instanceId) == true)];
    }

    private static IEnumerable<string> Ids(JsonElement answer, string list) =>
        answer.GetProperty(list).EnumerateArray().Select(e => e.GetProperty("imageId").GetString()!);

    // 1. The override tag lives on the instance; once the server is decommissioned its backups must still be judged by
    // the policy they were made under, not fall back to the (shorter) default.
    [Fact]
    public async Task Prune_WhenTheInstanceWithAnOverrideIsTerminated_JudgesItsBackupsByTheirRecordedPolicy()
    {
        var instance = await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true", ["ami-rotator:retention"] = "keep-last=5" });
        var stack = Stack(("RETENTION", "keep-last=1"));
        for (var night = 0; night < 3; night++)
        {
            await stack.InvokeAsync(Scheduled(night));
        }

        Assert.Equal(3, (await BackupsAsync(East, instance)).Count);
        using (var ec2 = moto.Client(East))
        {
            await ec2.TerminateInstancesAsync(new TerminateInstancesRequest { InstanceIds = [instance] });
        }

        var prune = await stack.InvokeAsync("""{"action":"prune"}""");

        Assert.Empty(Ids(prune, "retired"));
        Assert.Equal(3, (await BackupsAsync(East, instance)).Count);
    }

    // 2. Two stacks in one account and Region (a daily and a monthly one) must never touch each other's backups,
    // even of an instance both back up.
    [Fact]
    public async Task TwoStacks_WhenTheyBackUpTheSameInstance_KeepTheirOwnBackupsApart()
    {
        var instance = await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true", ["backup-monthly"] = "yes" });
        var daily = Stack(("OWNER", "daily@us-east-1"), ("RETENTION", "keep-last=1"));
        var monthly = Stack(("OWNER", "monthly@us-east-1"), ("BACKUP_TAG", "backup-monthly=yes"), ("RETENTION", "keep-last=12"));

        for (var night = 0; night < 3; night++)
        {
            var a = await daily.InvokeAsync(Scheduled(night));
            var b = await monthly.InvokeAsync(Scheduled(night));
            Assert.Equal(1, a.GetProperty("created").GetArrayLength());
            Assert.Equal(1, b.GetProperty("created").GetArrayLength());
        }

        await daily.InvokeAsync("""{"action":"prune"}""");
        await monthly.InvokeAsync("""{"action":"prune"}""");

        var backups = await BackupsAsync(East, instance);
        Assert.Equal(1, backups.Count(i => Owner(i) == "daily@us-east-1"));
        Assert.Equal(3, backups.Count(i => Owner(i) == "monthly@us-east-1"));
    }

    // 3. A source backup whose DR copy is still pending is the only complete copy until the copy finishes.
    [Fact]
    public async Task Prune_WhenTheDrCopyOfARetiredBackupIsStillPending_KeepsTheSourceAndSaysWhy()
    {
        var instance = await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true" });
        var stack = Stack(("DR_REGION", West), ("RETENTION", "keep-last=1"), ("DR_RETENTION", "keep-last=2"));
        var first = (await stack.InvokeAsync(Scheduled(0))).GetProperty("created")[0].GetProperty("imageId").GetString()!;
        await moto.SetNewImageStateAsync("pending");
        var copy = await stack.InvokeAsync("""{"action":"copy"}""");
        Assert.Single(Ids(copy, "copied"));
        await moto.SetNewImageStateAsync("available");

        var second = await stack.InvokeAsync(Scheduled(1));

        Assert.DoesNotContain(first, Ids(second, "retired"));
        var kept = second.GetProperty("kept").EnumerateArray().Single(k => k.GetProperty("imageId").GetString() == first);
        Assert.Contains("DR copy in progress", kept.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(2, (await BackupsAsync(East, instance)).Count);
    }

    // 5. DescribeImageReferences checks the 10 newest launch template versions unless told otherwise (version-depth
    // 1..10000, API_ResourceTypeOption); an Auto Scaling group pinned to version 1 still launches from its AMI.
    [Fact]
    public async Task Prune_WhenAnOldLaunchTemplateVersionNamesTheBackup_KeepsIt()
    {
        await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true" });
        var stack = Stack(("RETENTION", "keep-last=1"));
        var oldest = (await stack.InvokeAsync(Scheduled(0))).GetProperty("created")[0].GetProperty("imageId").GetString()!;
        await Task.Delay(1100); // CreationDate has one-second resolution
        await stack.InvokeAsync(Scheduled(1));
        using var ec2 = moto.Client(East);
        var template = await ec2.CreateLaunchTemplateAsync(new CreateLaunchTemplateRequest
        {
            LaunchTemplateName = "asg-pinned-to-v1",
            LaunchTemplateData = new RequestLaunchTemplateData { ImageId = oldest },
        });
        for (var v = 0; v < 11; v++)
        {
            await ec2.CreateLaunchTemplateVersionAsync(new CreateLaunchTemplateVersionRequest
            {
                LaunchTemplateId = template.LaunchTemplate.LaunchTemplateId,
                LaunchTemplateData = new RequestLaunchTemplateData { ImageId = "ami-0123456789abcdef0", InstanceType = InstanceType.T3Micro },
            });
        }

        var prune = await stack.InvokeAsync("""{"action":"prune"}""");

        Assert.DoesNotContain(oldest, Ids(prune, "retired"));
        var kept = prune.GetProperty("kept").EnumerateArray().Single(k => k.GetProperty("imageId").GetString() == oldest);
        Assert.Contains($"in use by {template.LaunchTemplate.LaunchTemplateId}/1", string.Join(",", kept.GetProperty("reasons").EnumerateArray().Select(r => r.GetString())), StringComparison.Ordinal);
    }

    // 8. [ec2-api-idempotency] The same ClientToken with the same parameters returns the image the first call made,
    // even once that copy is gone: a new copy of the same source needs a new token.
    [Fact]
    public async Task Copy_WhenTheEarlierCopyWasDeregistered_CopiesAgainUnderANewToken()
    {
        var instance = await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true" });
        var stack = Stack(("DR_REGION", West));
        await stack.InvokeAsync(Scheduled(0));
        var first = Ids(await stack.InvokeAsync("""{"action":"copy"}"""), "copied").Single();
        using (var west = moto.Client(West))
        {
            await west.DeregisterImageAsync(new DeregisterImageRequest { ImageId = first, DeleteAssociatedSnapshots = true });
        }

        var again = await stack.InvokeAsync("""{"action":"copy"}""");

        var copies = (await BackupsAsync(West, instance)).Where(i => i.State == ImageState.Available).ToList();
        var copy = Assert.Single(copies);
        Assert.NotEqual(first, copy.ImageId);
        Assert.Equal([copy.ImageId], Ids(again, "copied"));
    }

    // 10. The AWS CLI retries a synchronous invoke after 60 s with a new request id (aws/aws-cli#2657).
    [Fact]
    public async Task ManualRun_WhenRetriedAMinuteLaterWithoutAToken_MakesNoSecondBackup()
    {
        var instance = await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true" });
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var stack = EmulatedFunction.Create(moto, new Dictionary<string, string>(), clock);

        var first = await stack.InvokeAsync("""{"action":"run"}""");
        clock.Advance(TimeSpan.FromSeconds(61));
        var retry = await stack.InvokeAsync("""{"action":"run"}""");

        Assert.Single(Ids(first, "created"));
        Assert.Empty(Ids(retry, "created"));
        Assert.Contains(retry.GetProperty("skipped").EnumerateArray(), s => s.GetProperty("reason").GetString()!.Contains("idempotencyToken", StringComparison.Ordinal));
        Assert.Single(await BackupsAsync(East, instance));
    }

    [Fact]
    public async Task ManualRun_WhenGivenAnIdempotencyToken_MakesOneBackupPerTokenWhateverTheRequestId()
    {
        var instance = await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true" });
        var stack = Stack();

        var first = await stack.InvokeAsync("""{"action":"run","idempotencyToken":"change-4711"}""");
        var retry = await stack.InvokeAsync("""{"action":"run","idempotencyToken":"change-4711"}""");
        var next = await stack.InvokeAsync("""{"action":"backup","instanceIds":["INSTANCE"],"idempotencyToken":"change-4712"}""".Replace("INSTANCE", instance, StringComparison.Ordinal));

        Assert.Single(Ids(first, "created"));
        Assert.Empty(Ids(retry, "created"));
        Assert.Single(Ids(next, "created"));
        Assert.Equal(2, (await BackupsAsync(East, instance)).Count);
    }

    private static string? Owner(Image image) => image.Tags?.FirstOrDefault(t => t.Key == "ami-rotator:owner")?.Value;
}
