using Xunit;
using System.Text;
using System.Text.Json;
using Amazon.EC2;
using Amazon.EC2.Model;
using AmiRotator.Lambda;
using AmiRotator.Reporting;
using AmiRotator.Tests.Emulator;

namespace AmiRotator.Tests.Integration;

/// <summary>
/// The pass through the production code path (settings from the environment, the real SDK clients with the
/// endpoint override, the handler) against the patched EC2 emulator in two Regions.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class PassAgainstEmulatorTests(MotoServer moto) : IAsyncLifetime
{
    private const string East = "us-east-1";
    private const string West = "us-west-2";
    private const string Account = "123456789012";
    private const string ScheduledEvent = """{"version":"0","id":"e","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-26T03:00:00Z","region":"us-east-1","resources":[],"detail":{}}""";
    private static readonly string[] Mutations = ["CreateImage", "CopyImage", "DeregisterImage", "DeleteSnapshot", "CreateTags", "DeleteTags"];

    public Task InitializeAsync() => moto.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private Function NewFunction(Dictionary<string, string>? overrides = null)
    {
        var settings = new Dictionary<string, string> { ["DR_REGION"] = West, ["RETENTION"] = "keep-daily=7,keep-weekly=4" };
        foreach (var (key, value) in overrides ?? [])
        {
            settings[key] = value;
        }

        return EmulatedFunction.Create(moto, settings);
    }

    private static Task<JsonElement> InvokeAsync(Function function, string payload) => function.InvokeAsync(payload);

    private async Task<List<Image>> ImagesAsync(string region)
    {
        using var ec2 = moto.Client(region);
        var response = await ec2.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] });
        return [.. (response.Images ?? []).Where(i => !i.Name.StartsWith(MotoServer.SeedImageNamePrefix, StringComparison.Ordinal))];
    }

    private async Task<List<Snapshot>> ManagedSnapshotsAsync(string region)
    {
        using var ec2 = moto.Client(region);
        var response = await ec2.DescribeSnapshotsAsync(new DescribeSnapshotsRequest
        {
            Filters = [new Filter("tag:ami-rotator:managed", ["true"]), new Filter("owner-id", [Account])],
        });
        return response.Snapshots ?? [];
    }

    private async Task<int> MutationCountAsync() => (await moto.CallsAsync()).Count(c => Mutations.Contains(c.Action));

    private static string Tag(List<Tag>? tags, string key) => tags?.FirstOrDefault(t => t.Key == key)?.Value ?? "";

    [Fact]
    public async Task ScheduledEvent_WhenDeliveredThreeTimes_LeavesOneAmiPerTaggedInstanceAndOneCopyEach()
    {
        var web1 = await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true", ["Name"] = "web-1" });
        var web2 = await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true" }, stopped: true);
        var untagged = await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Name"] = "scratch" });
        var westOnly = await moto.SeedInstanceAsync(West, new Dictionary<string, string> { ["Backup"] = "true" });
        await moto.ResetCallsAsync();
        var function = NewFunction();

        var first = await InvokeAsync(function, ScheduledEvent);
        Assert.Equal(2, first.GetProperty("created").GetArrayLength());
        await InvokeAsync(function, ScheduledEvent); // images are available at once in the emulator: this one copies
        var mutationsBeforeThird = await MutationCountAsync();
        var third = await InvokeAsync(function, ScheduledEvent);
        Assert.Equal(mutationsBeforeThird, await MutationCountAsync());
        Assert.Equal(0, third.GetProperty("created").GetArrayLength());
        Assert.Equal(0, third.GetProperty("copied").GetArrayLength());

        var east = (await ImagesAsync(East)).Where(i => Tag(i.Tags, "ami-rotator:managed") == "true").ToList();
        Assert.Equal(new[] { web1, web2 }.Order(StringComparer.Ordinal), east.Select(i => Tag(i.Tags, "ami-rotator:instance-id")).Order(StringComparer.Ordinal));
        var web1Image = east.Single(i => Tag(i.Tags, "ami-rotator:instance-id") == web1);
        Assert.Matches($"^ami-rotator-{web1}-20261126T0300Z-o[0-9a-f]{{8}}$", web1Image.Name);
        Assert.Equal("web-1", Tag(web1Image.Tags, "Name"));
        Assert.DoesNotContain(east, i => Tag(i.Tags, "ami-rotator:instance-id") is var id && (id == untagged || id == westOnly));

        var snapshots = await ManagedSnapshotsAsync(East);
        var web1Snapshot = Assert.Single(snapshots, s => Tag(s.Tags, "ami-rotator:instance-id") == web1);
        Assert.Equal("web-1", Tag(web1Snapshot.Tags, "Name"));

        var copies = (await ImagesAsync(West)).Where(i => Tag(i.Tags, "ami-rotator:managed") == "true").ToList();
        Assert.Equal(east.Select(i => i.ImageId).Order(), copies.Select(c => Tag(c.Tags, "ami-rotator:source-image-id")).Order());
        Assert.All(copies, c => Assert.Equal(East, Tag(c.Tags, "ami-rotator:source-region")));
        Assert.All(await ManagedSnapshotsAsync(West), s => Assert.Equal(East, Tag(s.Tags, "ami-rotator:source-region")));
    }

    [Fact]
    public async Task DryRun_WhenRunPruneAndBackup_AnswersWithPlanAndMutatesNothing()
    {
        var instance = await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true" });
        var function = NewFunction(new() { ["RETENTION"] = "keep-last=1" });
        await InvokeAsync(function, ScheduledEvent);
        await Task.Delay(1100); // CreationDate has one-second resolution
        await InvokeAsync(function, """{"action":"run","scheduledTime":"2026-11-27T03:00:00Z"}""");
        await InvokeAsync(function, """{"action":"copy"}"""); // the second backup's copy
        await moto.ResetCallsAsync();

        var run = await InvokeAsync(function, """{"action":"run","dryRun":true,"scheduledTime":"2026-11-28T03:00:00Z"}""");
        var prune = await InvokeAsync(function, """{"action":"prune","dryRun":true}""");
        var backup = await InvokeAsync(function, $$"""{"action":"backup","dryRun":true,"instanceIds":["{{instance}}"]}""");

        Assert.True(run.GetProperty("dryRun").GetBoolean());
        Assert.Matches($"^ami-rotator-{instance}-20261128T0300Z-o[0-9a-f]{{8}}$", run.GetProperty("created")[0].GetProperty("name").GetString());
        Assert.False(run.GetProperty("created")[0].TryGetProperty("imageId", out _));
        var retired = prune.GetProperty("retired").EnumerateArray().ToList();
        Assert.True(retired.Count == 2, prune.ToString()); // the older backup in each Region
        Assert.All(retired, r => Assert.Contains("outside its policy keep-last=1", r.GetProperty("reasons")[0].GetString(), StringComparison.Ordinal));
        Assert.Matches($"^ami-rotator-{instance}-manual-[0-9a-f]{{12}}-o[0-9a-f]{{8}}$", backup.GetProperty("created")[0].GetProperty("name").GetString());
        Assert.Equal(0, await MutationCountAsync());
    }

    [Fact]
    public async Task Prune_WhenKeepLastOne_RetiresOlderBackupsWithSnapshotsAndLeavesNoOrphan()
    {
        var instance = await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true" });
        var function = NewFunction(new() { ["RETENTION"] = "keep-last=1" });
        for (var night = 0; night < 3; night++)
        {
            await InvokeAsync(function, $$"""{"action":"backup","instanceIds":["{{instance}}"],"idempotencyToken":"night-{{night}}"}""");
            await InvokeAsync(function, """{"action":"copy"}"""); // as the AMI-available event would, each night
            await Task.Delay(1100);
        }

        var unmanaged = await moto.Client(East).CreateImageAsync(new CreateImageRequest { InstanceId = instance, Name = "hand-made" });

        var prune = await InvokeAsync(function, """{"action":"prune"}""");

        Assert.True(prune.GetProperty("retired").GetArrayLength() == 4, prune.ToString()); // two older in each Region
        var east = await ImagesAsync(East);
        var managedEast = east.Where(i => Tag(i.Tags, "ami-rotator:managed") == "true").ToList();
        var newest = Assert.Single(managedEast);
        Assert.Contains(east, i => i.ImageId == unmanaged.ImageId);
        Assert.Single(await ImagesAsync(West), i => Tag(i.Tags, "ami-rotator:source-image-id") == newest.ImageId);

        foreach (var region in new[] { East, West })
        {
            var used = (await ImagesAsync(region)).SelectMany(i => i.BlockDeviceMappings ?? []).Select(b => b.Ebs?.SnapshotId).ToHashSet();
            var orphans = (await ManagedSnapshotsAsync(region)).Where(s => !used.Contains(s.SnapshotId)).ToList();
            Assert.Empty(orphans);
        }

        Assert.Equal(4, prune.GetProperty("deletedSnapshots").GetArrayLength());
    }

    [Fact]
    public async Task Prune_WhenPlanExceedsDeletionBudget_RetiresNothingAndFailsLoudly()
    {
        var instance = await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true" });
        var function = NewFunction(new() { ["RETENTION"] = "keep-last=1", ["MAX_RETIRE_PER_RUN"] = "1", ["DR_REGION"] = "" });
        for (var i = 0; i < 3; i++)
        {
            await InvokeAsync(function, $$"""{"action":"backup","instanceIds":["{{instance}}"],"idempotencyToken":"backup-{{i}}"}""");
            await Task.Delay(1100);
        }

        await moto.ResetCallsAsync();
        var error = await Assert.ThrowsAsync<FunctionErrorException>(() => InvokeAsync(function, """{"action":"prune"}"""));

        Assert.Equal("RetireBudgetExceeded", error.ErrorType);
        Assert.Contains("would retire 2 images in us-east-1 but MAX_RETIRE_PER_RUN allows 1", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, (await ImagesAsync(East)).Count);
        Assert.Equal(0, await MutationCountAsync());
    }

    [Fact]
    public async Task Backup_WhenOnDemandForUntaggedAndMissingInstances_BacksUpTheRealOneAndFailsLoudly()
    {
        var untagged = await moto.SeedInstanceAsync(East, new Dictionary<string, string>());
        var function = NewFunction();

        var error = await Assert.ThrowsAsync<FunctionErrorException>(() =>
            InvokeAsync(function, $$"""{"action":"backup","instanceIds":["{{untagged}}","i-0000000000000dead"]}"""));

        Assert.Equal("PassFailed", error.ErrorType);
        Assert.Contains("i-0000000000000dead", error.Message, StringComparison.Ordinal);
        var image = Assert.Single(await ImagesAsync(East));
        Assert.Matches($"^ami-rotator-{untagged}-manual-[0-9a-f]{{12}}-o[0-9a-f]{{8}}$", image.Name);
    }

    public static TheoryData<string, string> BadInputs()
    {
        var tooMany = string.Join(",", Enumerable.Range(0, 1001).Select(i => $"\"i-{i:x8}\""));
        return new TheoryData<string, string>
        {
            { "", "InvalidPayload" },
            { "null", "InvalidPayload" },
            { "[]", "InvalidPayload" },
            { "42", "InvalidPayload" },
            { "\"run\"", "InvalidPayload" },
            { "{\"action\":", "InvalidPayload" },
            { "{\"action\":\"explode\"}", "UnknownAction" },
            { "{\"action\":\"backup\"}", "InvalidField" },
            { "{\"action\":\"backup\",\"instanceIds\":\"i-0123456789abcdef0\"}", "InvalidInstanceIds" },
            { "{\"action\":\"backup\",\"instanceIds\":[7]}", "InvalidInstanceIds" },
            { "{\"action\":\"backup\",\"instanceIds\":[\"i-nothex\"]}", "InvalidInstanceIds" },
            { $"{{\"action\":\"backup\",\"instanceIds\":[{tooMany}]}}", "InvalidInstanceIds" },
            { "{\"action\":\"run\",\"dryRun\":\"false\"}", "InvalidField" },
            { "{\"action\":\"run\",\"dryrun\":true}", "InvalidField" },
            { "{\"source\":\"aws.ec2\",\"detail-type\":\"EC2 AMI State Change\",\"detail\":{\"State\":\"available\"}}", "InvalidImageEvent" },
            { "{\"source\":\"aws.events\",\"detail-type\":\"Scheduled Event\",\"time\":\"yesterday\"}", "InvalidScheduledEvent" },
            { "{\"action\":\"run\",\"pad\":\"" + new string('x', 300 * 1024) + "\"}", "PayloadTooLarge" },
            { "{\"action\":" + new string('[', 5000) + new string(']', 5000) + "}", "InvalidPayload" },
        };
    }

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Handle_WhenBadInput_ReturnsErrorAndMakesNoEc2Call(string payload, string errorType)
    {
        await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true" });
        var function = NewFunction();
        await moto.ResetCallsAsync();

        var error = await Assert.ThrowsAsync<FunctionErrorException>(() => InvokeAsync(function, payload));

        Assert.Equal(errorType, error.ErrorType);
        Assert.Empty(await moto.CallsAsync());
    }

    [Fact]
    public async Task Handle_WhenPayloadIsNotUtf8_ReturnsErrorAndMakesNoEc2Call()
    {
        await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true" });
        var function = NewFunction();
        await moto.ResetCallsAsync();

        var error = await Assert.ThrowsAsync<FunctionErrorException>(() =>
            function.HandleAsync(new byte[] { (byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}' }, EmulatedFunction.Context(DateTimeOffset.MaxValue), CancellationToken.None));

        Assert.Equal("InvalidPayload", error.ErrorType);
        Assert.Empty(await moto.CallsAsync());
    }

    [Theory]
    [InlineData("DR_REGION", "us-east-1", "equals the function's Region")]
    [InlineData("DR_REGION", "us-east", "not an AWS Region name")]
    [InlineData("DR_REGION", "cn-north-1", "CopyImage does not copy between partitions")]
    [InlineData("BACKUP_TAG", "Backup", "not Key=Value")]
    [InlineData("RETENTION", "keep-dayly=7", "RETENTION")]
    [InlineData("NO_REBOOT", "maybe", "not a boolean")]
    [InlineData("BACKUP_TAG", "aws:reserved=true", "may not start with 'aws:'")]
    [InlineData("RETENTION", "keep-within=3w", "RETENTION")]
    [InlineData("DR_RETENTION", "keep-last=0", "DR_RETENTION")]
    [InlineData("RETENTION_TIMEZONE", "Mars/Olympus", "not a known IANA time zone")]
    [InlineData("MAX_COPIES_IN_FLIGHT", "500", "from 1 to 300")]
    public async Task Create_WhenBadSetting_FailsInitWithoutEc2Calls(string name, string value, string fragment)
    {
        await moto.ResetCallsAsync();
        var error = Assert.Throws<FunctionErrorException>(() => NewFunction(new() { [name] = value }));
        Assert.Equal("InvalidSettings", error.ErrorType);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        Assert.Empty(await moto.CallsAsync());
    }

    [Fact]
    public async Task ImageAvailableEvent_WhenManagedSourceImage_CopiesOnceEvenIfDeliveredTwice()
    {
        await moto.SetNewImageStateAsync("pending");
        var instance = await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true" });
        var function = NewFunction();
        var run = await InvokeAsync(function, ScheduledEvent);
        var imageId = run.GetProperty("created")[0].GetProperty("imageId").GetString()!;
        Assert.Equal(0, run.GetProperty("copied").GetArrayLength()); // still pending
        await moto.SetImageStateAsync(imageId, "available");

        var amiEvent = $$$"""{"detail-type":"EC2 AMI State Change","source":"aws.ec2","region":"us-east-1","detail":{"RequestId":"r","ImageId":"{{{imageId}}}","State":"available","ErrorMessage":""}}""";
        var first = await InvokeAsync(function, amiEvent);
        var second = await InvokeAsync(function, amiEvent);

        Assert.Equal(1, first.GetProperty("copied").GetArrayLength());
        Assert.Equal(0, second.GetProperty("copied").GetArrayLength());
        Assert.Single(await ImagesAsync(West), i => Tag(i.Tags, "ami-rotator:source-image-id") == imageId);
        Assert.Equal(instance, Tag((await ImagesAsync(West))[0].Tags, "ami-rotator:instance-id"));
    }

    [Fact]
    public async Task ImageAvailableEvent_WhenImageIsNotManaged_DoesNothing()
    {
        var instance = await moto.SeedInstanceAsync(East, new Dictionary<string, string>());
        var image = await moto.Client(East).CreateImageAsync(new CreateImageRequest { InstanceId = instance, Name = "not-ours" });
        var function = NewFunction();
        await moto.ResetCallsAsync();

        var result = await InvokeAsync(function, $$$"""{"detail-type":"EC2 AMI State Change","source":"aws.ec2","region":"us-east-1","detail":{"ImageId":"{{{image.ImageId}}}","State":"available"}}""");

        Assert.Equal(0, await MutationCountAsync());
        Assert.Contains("not a source backup of this stack", result.GetProperty("skipped")[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
    }
}
