using System.Diagnostics;
using System.Text.Json;
using AmiRotator.Tests.Emulator;
using AmiRotator.Tests.Integration;
using Xunit;
using Xunit.Abstractions;

namespace AmiRotator.Tests.Faults;

/// <summary>
/// Real passes through the fault proxy: the function as production builds it, EC2 answering as on a bad night.
/// Each scenario asserts the final EC2 state (<see cref="FaultWorld.AssertConvergedAsync"/>), not the absence of an exception.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class FaultScenarioTests(MotoServer moto, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Night = "2026-11-26T03:00:00Z";
    private const string NightTag = "20261126T0300Z";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly StringWriter log = new();
    private FaultProxy proxy = null!;

    public async Task InitializeAsync() => proxy = await FaultProxy.ForAsync(moto);

    public Task DisposeAsync() => proxy.ResetAsync();

    [Fact]
    public async Task ScheduledEvent_WhenEveryActionIsThrottledLostOrDropped_ConvergesWithinThreeDeliveries()
    {
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 4);
        await proxy.ConfigureAsync(new { seed = 20261126, throttle = 0.30, lost = 0.05, drop = 0.03 });
        var clock = Stopwatch.StartNew();

        var nightly = await Deliveries.UntilOkAsync(NewFunction, FaultWorld.ScheduledEvent(Night), maxDeliveries: 3, Timeout);
        Assert.True(nightly.Any(d => d.Ok), $"no delivery answered OK: {string.Join(" | ", nightly)}");

        // EventBridge's "EC2 AMI State Change" events bring the DR copies, each delivered up to three times as well.
        foreach (var image in await world.ManagedImagesAsync(FaultWorld.East))
        {
            var copy = await Deliveries.UntilOkAsync(NewFunction, FaultWorld.ImageAvailableEvent(image.ImageId), maxDeliveries: 3, Timeout);
            Assert.True(copy.Any(d => d.Ok), $"no delivery of {image.ImageId}'s event answered OK: {string.Join(" | ", copy)}");
        }

        var stats = await proxy.StatsAsync();
        var statsText = await proxy.StatsTextAsync();
        await proxy.ResetAsync();
        await world.AssertConvergedAsync(NightTag);
        Assert.Empty(nightly.Where(d => d.Ok).SelectMany(d => FaultWorld.ThrottlingFailures(d.Summary!.Value)));

        // The faults happened, and the function said so: every retried call in the log, and in the metrics.
        // Lost answers and drops are too rare here to count on in every run; the test below makes each happen.
        Assert.True(stats.Total(c => c.Throttled) > 0, statsText);
        var lines = LogLines();
        Assert.Contains(lines, l => Message(l) == "EC2 call retried" && l.GetProperty("errorCode").GetString() == "RequestLimitExceeded");
        Assert.Contains(lines, l => l.TryGetProperty("ThrottledCalls", out var t) && t.GetInt32() > 0);
        output.WriteLine($"faulted: {clock.Elapsed.TotalSeconds:0.0}s, {stats.Total(c => c.Forwarded + c.Throttled + c.Lost + c.Dropped)} calls " +
            $"({stats.Total(c => c.Throttled)} throttled, {stats.Total(c => c.Lost)} lost, {stats.Total(c => c.Dropped)} dropped); deliveries: {string.Join(" | ", nightly)}");
    }

    [Fact]
    public async Task ScheduledEvent_WhenEachMutationsFirstAnswerIsLostAndItsRetryDropped_CountsWhatWasDoneAsDone()
    {
        // Every kind of mutation the night makes: CreateImage, CopyImage (same ClientToken), DeregisterImage of an
        // image the lost call already retired, DeleteSnapshot of a snapshot already gone. Each is done by its first
        // call, whose answer is lost; its retry's connection drops after EC2 answered; the third try meets the result.
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 3);
        await world.RunCleanNightsAsync("2026-11-24T03:00:00Z", "2026-11-25T03:00:00Z");
        var olderNight = (await world.ManagedImagesAsync(FaultWorld.East)).Where(i => i.Name.Contains("-20261124T0300Z-", StringComparison.Ordinal)).ToList();
        await proxy.ConfigureAsync(new { lostFirst = 1, dropFirst = 1, actions = new[] { "CreateImage", "CopyImage", "DeregisterImage", "DeleteSnapshot" } });

        var night = await Deliveries.InvokeOnceAsync(
            EmulatedFunction.Create(proxy.Url, FaultWorld.KeepLastSettings(), log: log), FaultWorld.ScheduledEvent(Night), Timeout);

        var stats = await proxy.StatsAsync();
        Assert.True(night.Ok, night.ToString());
        var summary = night.Summary!.Value;
        Assert.Empty(summary.GetProperty("failures").EnumerateArray());
        foreach (var action in new[] { "CreateImage", "CopyImage", "DeregisterImage", "DeleteSnapshot" })
        {
            var counts = stats.Of(action);
            Assert.True(counts.Lost == 1 && counts.Dropped == 1, $"{action}: {counts}");
        }

        var skips = summary.GetProperty("skipped").EnumerateArray().Select(s => s.GetProperty("reason").GetString()!).ToList();
        // The lost call and the dropped one (two instances' calls when they run in parallel, or one call's two tries)
        // made their backups; their retries find them by name and report them as existing, not made twice.
        var existing = skips.Count(r => r.Contains("made by an earlier attempt of this call whose answer was lost", StringComparison.Ordinal));
        Assert.InRange(existing, 1, 2);
        Assert.Equal(world.Tagged.Count, summary.GetProperty("created").GetArrayLength() + existing);
        Assert.Equal(olderNight.Select(i => i.ImageId).Order(), summary.GetProperty("retired").EnumerateArray().Where(r => r.GetProperty("region").GetString() == FaultWorld.East).Select(r => r.GetProperty("imageId").GetString()).Order());

        await proxy.ResetAsync();
        foreach (var image in (await world.ManagedImagesAsync(FaultWorld.East)).Where(i => i.Name.Contains($"-{NightTag}-", StringComparison.Ordinal)))
        {
            Assert.True((await Deliveries.InvokeOnceAsync(NewFunction(), FaultWorld.ImageAvailableEvent(image.ImageId), Timeout)).Ok);
        }

        await world.AssertConvergedAsync(NightTag);
        Assert.DoesNotContain(await world.ManagedImagesAsync(FaultWorld.East), i => olderNight.Any(o => o.ImageId == i.ImageId));
    }

    [Fact]
    public async Task ScheduledEvent_WithoutFaults_ConvergesInOneDelivery_TheBaseline()
    {
        // The same world and events as above, clean: the baseline the faulted run is compared with.
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 4);
        var clock = Stopwatch.StartNew();

        var nightly = await Deliveries.InvokeOnceAsync(NewFunction(), FaultWorld.ScheduledEvent(Night), Timeout);
        Assert.True(nightly.Ok, nightly.ToString());
        foreach (var image in await world.ManagedImagesAsync(FaultWorld.East))
        {
            var copy = await Deliveries.InvokeOnceAsync(NewFunction(), FaultWorld.ImageAvailableEvent(image.ImageId), Timeout);
            Assert.True(copy.Ok, copy.ToString());
        }

        var stats = await proxy.StatsAsync();
        await world.AssertConvergedAsync(NightTag);
        Assert.Equal(0, stats.Total(c => c.Throttled + c.Lost + c.Dropped));
        Assert.DoesNotContain(LogLines(), l => Message(l) == "EC2 call retried");
        output.WriteLine($"clean: {clock.Elapsed.TotalSeconds:0.0}s, {stats.Total(c => c.Forwarded)} calls");
    }

    [Fact]
    public async Task ScheduledEvent_DeliveredThreeTimesAtOnce_MakesOneBackupPerInstanceAndOneCopyEach()
    {
        // Answers lost after the work was done make the racing deliveries meet each other's images by name.
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 4);
        await proxy.ConfigureAsync(new { seed = 3, lost = 0.05, drop = 0.03 });

        var nightly = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Deliveries.InvokeOnceAsync(NewFunction(), FaultWorld.ScheduledEvent(Night), Timeout)));
        Assert.True(nightly.All(d => d.Ok), string.Join(" | ", nightly.Select(d => d.ToString())));
        var created = nightly.Sum(d => d.Summary!.Value.GetProperty("created").GetArrayLength());
        Assert.Equal(world.Tagged.Count, created); // each backup reported once, by whichever delivery made it

        foreach (var image in await world.ManagedImagesAsync(FaultWorld.East))
        {
            var copies = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Deliveries.InvokeOnceAsync(NewFunction(), FaultWorld.ImageAvailableEvent(image.ImageId), Timeout)));
            Assert.True(copies.All(d => d.Ok), string.Join(" | ", copies.Select(d => d.ToString())));
        }

        await proxy.ResetAsync();
        await world.AssertConvergedAsync(NightTag);
    }

    [Fact]
    public async Task ScheduledEvent_UnderEc2sOwnBuckets_PacesItsBackupsWithoutOneThrottle()
    {
        // Pacing exactly at EC2's refill rate is not enough: calls taken from our bucket in order reach EC2 with the
        // jitter of four in flight, and EC2's bucket [ec2-api-throttling] refuses any that arrive early. 150 backups:
        // a burst of 50, then 100 at the refill rate, for 20 s, and EC2 must refuse none of them.
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 150);
        await proxy.ConfigureAsync(new { buckets = true });

        var night = await Deliveries.InvokeOnceAsync(NewFunction(), FaultWorld.ScheduledEvent(Night), Timeout);

        var stats = await proxy.StatsAsync();
        Assert.True(night.Ok, night.ToString());
        Assert.Equal(150, stats.Of("CreateImage").Forwarded);
        Assert.Equal(0, stats.Total(c => c.Throttled));
        Assert.Equal(150, (await world.ManagedImagesAsync(FaultWorld.East)).Count);
    }

    private Function NewFunction() => EmulatedFunction.Create(proxy.Url, FaultWorld.Settings(), log: log);

    private List<JsonElement> LogLines()
    {
        lock (log)
        {
            return [.. log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
        }
    }

    private static string? Message(JsonElement line) => line.TryGetProperty("message", out var m) ? m.GetString() : null;
}
