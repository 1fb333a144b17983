using System.Text;
using System.Text.Json;
using Amazon.EC2.Model;
using AmiRotator.Lambda;
using AmiRotator.Reporting;
using AmiRotator.Tests.Emulator;
using Xunit;

namespace AmiRotator.Tests.Integration;

/// <summary>Deadline, concurrency, copy pacing and AMI events against the patched emulator, through the handler.</summary>
[Collection(MotoCollection.Name)]
public sealed class InvocationScenariosTests(MotoServer moto) : IAsyncLifetime
{
    private const string East = "us-east-1";
    private const string West = "us-west-2";
    private static readonly DateTimeOffset Start = new(2026, 11, 26, 3, 0, 5, TimeSpan.Zero);
    private static readonly string[] Mutations = ["CreateImage", "CopyImage", "DeregisterImage", "DeleteSnapshot"];

    public Task InitializeAsync() => moto.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A clock that moves one second forward every time it is read, so "time left" shrinks per check.</summary>
    private sealed class TickingClock(DateTimeOffset start) : TimeProvider
    {
        private long ticks;

        public override DateTimeOffset GetUtcNow() => start.AddSeconds(Interlocked.Increment(ref ticks));
    }

    private Function NewFunction(TimeProvider clock, StringWriter? log = null, Dictionary<string, string>? overrides = null)
    {
        var settings = new Dictionary<string, string> { ["DR_REGION"] = West };
        foreach (var (key, value) in overrides ?? [])
        {
            settings[key] = value;
        }

        return EmulatedFunction.Create(moto, settings, clock, log);
    }

    private static InvocationContext Context(DateTimeOffset deadline) => EmulatedFunction.Context(deadline);

    private static Task<JsonElement> InvokeAsync(Function function, string payload, DateTimeOffset deadline) => function.InvokeAsync(payload, deadline);

    /// <summary>
    /// A pass the deadline cut short answers PassUnfinished, the function error that makes Lambda deliver the event
    /// again; what it did is in the summary it logged.
    /// </summary>
    private static async Task<JsonElement> InvokeCutShortAsync(Function function, StringWriter log, string payload, DateTimeOffset deadline)
    {
        var error = await Assert.ThrowsAsync<FunctionErrorException>(() => function.InvokeAsync(payload, deadline));
        Assert.Equal("PassUnfinished", error.ErrorType);
        Assert.Contains("left for the next delivery", error.Message, StringComparison.Ordinal);
        var line = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone())
            .Last(l => l.TryGetProperty("message", out var m) && m.GetString() == "summary");
        Assert.Equal("WARN", line.GetProperty("level").GetString());
        var summary = line.GetProperty("summary");
        return summary;
    }

    private async Task<List<string>> SeedTaggedAsync(int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            ids.Add(await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true" }));
        }

        return ids;
    }

    private async Task<List<Image>> ManagedImagesAsync(string region)
    {
        using var ec2 = moto.Client(region);
        var images = (await ec2.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] })).Images ?? [];
        return [.. images.Where(i => i.Tags?.Any(t => t.Key == "ami-rotator:managed" && t.Value == "true") == true)];
    }

    [Fact]
    public async Task Run_WhenDeadlineIsShort_StopsStartingMutationsCleanlyAndNextPassFinishes()
    {
        var instances = await SeedTaggedAsync(15);
        var settings = new Dictionary<string, string> { ["DEADLINE_SAFETY_SECONDS"] = "10", ["PARALLELISM"] = "1" };
        var clock = new TickingClock(Start);
        var log = new StringWriter();
        var function = NewFunction(clock, log, overrides: settings);

        // 20 s until the deadline, a 10 s margin, and every check of the clock costs a second.
        var first = await InvokeCutShortAsync(function, log, """{"action":"backup","instanceIds":[ALL]}""".Replace("ALL", string.Join(",", instances.Select(i => $"\"{i}\"")), StringComparison.Ordinal), Start.AddSeconds(20));
        Assert.Equal(first.GetProperty("unfinished").GetInt32(), first.GetProperty("skipped").EnumerateArray().Count(s => s.GetProperty("reason").GetString()!.Contains("Lambda deadline", StringComparison.Ordinal)));

        var created = first.GetProperty("created").GetArrayLength();
        var deferred = first.GetProperty("skipped").EnumerateArray().Where(s => s.GetProperty("reason").GetString()!.Contains("Lambda deadline", StringComparison.Ordinal)).ToList();
        Assert.InRange(created, 1, 14);
        Assert.Equal(15, created + deferred.Count);
        Assert.Equal(0, first.GetProperty("failures").GetArrayLength());
        Assert.Equal(created, (await ManagedImagesAsync(East)).Count);

        // The next invocation (plenty of time) backs up exactly the instances that were left.
        var second = await InvokeAsync(function, $$"""{"action":"backup","instanceIds":[{{string.Join(",", deferred.Select(d => $"\"{d.GetProperty("subject").GetString()}\""))}}]}""", DateTimeOffset.MaxValue);
        Assert.Equal(deferred.Count, second.GetProperty("created").GetArrayLength());
        var images = await ManagedImagesAsync(East);
        Assert.Equal(15, images.Count);
        Assert.Equal(instances.Order(StringComparer.Ordinal), images.Select(i => i.Tags.Single(t => t.Key == "ami-rotator:instance-id").Value).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Run_WhenScheduledPassIsCutShort_TheRedeliveredEventFinishesWithoutDuplicates()
    {
        await SeedTaggedAsync(12);
        var settings = new Dictionary<string, string> { ["DEADLINE_SAFETY_SECONDS"] = "10", ["PARALLELISM"] = "2" };
        const string scheduled = """{"action":"run","scheduledTime":"2026-11-26T03:00:00Z"}""";

        var log = new StringWriter();
        var first = await InvokeCutShortAsync(NewFunction(new TickingClock(Start), log, overrides: settings), log, scheduled, Start.AddSeconds(18));
        Assert.InRange(first.GetProperty("created").GetArrayLength(), 1, 11);
        var second = await InvokeAsync(NewFunction(new TickingClock(Start), overrides: settings), scheduled, DateTimeOffset.MaxValue);

        Assert.Equal(12, first.GetProperty("created").GetArrayLength() + second.GetProperty("created").GetArrayLength());
        Assert.Equal(12, (await ManagedImagesAsync(East)).Count);
    }

    [Fact]
    public async Task Run_WhenInvokedWithAlmostNoTimeLeft_AnswersDeadlineReachedWithoutMutating()
    {
        await SeedTaggedAsync(2);
        var function = NewFunction(TimeProvider.System);
        await moto.ResetCallsAsync();

        var error = await Assert.ThrowsAsync<FunctionErrorException>(() =>
            InvokeAsync(function, """{"action":"run","scheduledTime":"2026-11-26T03:00:00Z"}""", DateTimeOffset.UtcNow.AddSeconds(2)));

        Assert.Equal("DeadlineReached", error.ErrorType);
        Assert.DoesNotContain(await moto.CallsAsync(), c => Mutations.Contains(c.Action));
    }

    [Fact]
    public async Task Run_WhenTwoPassesOverlap_CreatesOneAmiPerInstanceAndOneCopyPerAmi()
    {
        await SeedTaggedAsync(6);
        const string scheduled = """{"version":"0","detail-type":"Scheduled Event","source":"aws.events","time":"2026-11-26T03:00:00Z","detail":{}}""";
        var a = NewFunction(TimeProvider.System);
        var b = NewFunction(TimeProvider.System);

        var results = await Task.WhenAll(
            InvokeAsync(a, scheduled, DateTimeOffset.MaxValue),
            InvokeAsync(b, scheduled, DateTimeOffset.MaxValue));
        Assert.Equal(6, results.Sum(r => r.GetProperty("created").GetArrayLength()));
        Assert.Equal(6, (await ManagedImagesAsync(East)).Count);

        // Both sweeps now see six available images without copies and race to copy them.
        var copies = await Task.WhenAll(
            InvokeAsync(a, """{"action":"copy"}""", DateTimeOffset.MaxValue),
            InvokeAsync(b, """{"action":"copy"}""", DateTimeOffset.MaxValue));
        var drImages = await ManagedImagesAsync(West);
        Assert.Equal(6, drImages.Count);
        Assert.Equal(6, drImages.Select(i => i.Tags.Single(t => t.Key == "ami-rotator:source-image-id").Value).Distinct().Count());

        // And a prune racing a run never retires what the run just made: every instance keeps its newest.
        await Task.WhenAll(
            InvokeAsync(a, """{"action":"prune"}""", DateTimeOffset.MaxValue),
            InvokeAsync(b, """{"action":"run","scheduledTime":"2026-11-27T03:00:00Z"}""", DateTimeOffset.MaxValue));
        Assert.True((await ManagedImagesAsync(East)).Count >= 6);
    }

    [Fact]
    public async Task Prune_WhenTwoPrunesOverlap_BothSucceedAndNothingIsOrphaned()
    {
        var instance = (await SeedTaggedAsync(1))[0];
        var settings = new Dictionary<string, string> { ["RETENTION"] = "keep-last=1", ["DR_REGION"] = "" };
        var function = NewFunction(TimeProvider.System, overrides: settings);
        for (var i = 0; i < 4; i++)
        {
            await function.HandleAsync(Encoding.UTF8.GetBytes($$"""{"action":"backup","instanceIds":["{{instance}}"],"idempotencyToken":"backup-{{i}}"}"""), Context(DateTimeOffset.MaxValue), CancellationToken.None);
            await Task.Delay(1100);
        }

        // Whichever pass deregisters an image second finds it gone: that is the outcome both wanted, not a failure.
        var results = await Task.WhenAll(
            InvokeAsync(NewFunction(TimeProvider.System, overrides: settings), """{"action":"prune"}""", DateTimeOffset.MaxValue),
            InvokeAsync(NewFunction(TimeProvider.System, overrides: settings), """{"action":"prune"}""", DateTimeOffset.MaxValue));

        Assert.All(results, r => Assert.Equal(0, r.GetProperty("failures").GetArrayLength()));
        var left = Assert.Single(await ManagedImagesAsync(East));
        using var ec2 = moto.Client(East);
        var snapshots = (await ec2.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { Filters = [new Filter("tag:ami-rotator:managed", ["true"]), new Filter("owner-id", ["123456789012"])] })).Snapshots ?? [];
        Assert.Equal(left.BlockDeviceMappings.Select(b => b.Ebs.SnapshotId).Order(StringComparer.Ordinal), snapshots.Select(s => s.SnapshotId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Copy_WhenManyCopiesAreInFlight_StartsOnlyUpToTheCap()
    {
        await SeedTaggedAsync(5);
        var function = NewFunction(TimeProvider.System, overrides: new() { ["MAX_COPIES_IN_FLIGHT"] = "3" });
        await InvokeAsync(function, """{"action":"run","scheduledTime":"2026-11-26T03:00:00Z"}""", DateTimeOffset.MaxValue); // 5 backups, available at once
        await moto.SetNewImageStateAsync("pending"); // copies stay in flight, as they do for minutes on AWS

        var first = await InvokeAsync(function, """{"action":"copy"}""", DateTimeOffset.MaxValue);
        Assert.Equal(3, first.GetProperty("copied").GetArrayLength());
        var deferred = first.GetProperty("skipped").EnumerateArray().Where(s => s.GetProperty("reason").GetString()!.Contains("MAX_COPIES_IN_FLIGHT=3", StringComparison.Ordinal)).Count();
        Assert.Equal(2, deferred);

        var second = await InvokeAsync(function, """{"action":"copy"}""", DateTimeOffset.MaxValue);
        Assert.Equal(0, second.GetProperty("copied").GetArrayLength()); // still three pending

        foreach (var copy in await ManagedImagesAsync(West))
        {
            await moto.SetImageStateAsync(copy.ImageId, "available");
        }

        var third = await InvokeAsync(function, """{"action":"copy"}""", DateTimeOffset.MaxValue);
        Assert.Equal(2, third.GetProperty("copied").GetArrayLength());
        Assert.Equal(5, (await ManagedImagesAsync(West)).Count);
    }

    [Fact]
    public async Task ImageFailedEvent_WhenManagedImage_LogsCountsAndMutatesNothing()
    {
        await moto.SetNewImageStateAsync("pending");
        await SeedTaggedAsync(1);
        var log = new StringWriter();
        var function = NewFunction(TimeProvider.System, log);
        var run = await InvokeAsync(function, """{"action":"run","scheduledTime":"2026-11-26T03:00:00Z"}""", DateTimeOffset.MaxValue);
        var imageId = run.GetProperty("created")[0].GetProperty("imageId").GetString()!;
        await moto.SetImageStateAsync(imageId, "failed", "InternalError");
        await moto.ResetCallsAsync();

        var result = await InvokeAsync(function, $$$"""{"detail-type":"EC2 AMI State Change","source":"aws.ec2","region":"us-east-1","detail":{"ImageId":"{{{imageId}}}","State":"failed","ErrorMessage":"InternalError"}}""", DateTimeOffset.MaxValue);

        Assert.DoesNotContain(await moto.CallsAsync(), c => Mutations.Contains(c.Action));
        Assert.Contains("image failed", result.GetProperty("skipped")[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
        var emf = log.ToString().Split('\n').Where(l => l.Contains("\"_aws\"", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(emf, e => e.TryGetProperty("ImageFailed", out var v) && v.GetDouble() == 1);

        // The next pass backs the instance up again (a new scheduled time) and retires the failed image.
        var next = await InvokeAsync(function, """{"action":"run","scheduledTime":"2026-11-27T03:00:00Z"}""", DateTimeOffset.MaxValue);
        Assert.Equal(1, next.GetProperty("created").GetArrayLength());
        Assert.Contains(next.GetProperty("retired").EnumerateArray(), r => r.GetProperty("imageId").GetString() == imageId);
    }

    [Fact]
    public async Task Report_WhenOneInstanceHasNoBackup_FlagsItAgainstTheRpo()
    {
        var instances = await SeedTaggedAsync(2);
        var function = NewFunction(TimeProvider.System);
        await InvokeAsync(function, $$"""{"action":"backup","instanceIds":["{{instances[0]}}"]}""", DateTimeOffset.MaxValue);
        await moto.ResetCallsAsync();

        var report = await InvokeAsync(function, """{"action":"report"}""", DateTimeOffset.MaxValue);

        var points = report.GetProperty("recoveryPoints").EnumerateArray().ToList();
        Assert.Equal(4, points.Count); // two instances, two Regions
        var ok = points.Single(p => p.GetProperty("instanceId").GetString() == instances[0] && p.GetProperty("region").GetString() == East);
        Assert.False(ok.GetProperty("stale").GetBoolean());
        Assert.All(points.Where(p => p.GetProperty("instanceId").GetString() == instances[1]), p => Assert.True(p.GetProperty("stale").GetBoolean()));
        Assert.DoesNotContain(await moto.CallsAsync(), c => Mutations.Contains(c.Action));
    }
}
