using System.Diagnostics;
using System.Text.Json;
using AmiRotator.Tests.Integration;
using Xunit;
using Xunit.Abstractions;

namespace AmiRotator.Tests.Faults;

/// <summary>
/// Two minutes in which 60 % of all calls are throttled, then clear. Every delivery answers inside its deadline: done,
/// or PassUnfinished / DeadlineReached, the errors that make Lambda deliver the event again. No item ever fails for
/// throttling alone, and once the storm is over a delivery finishes the night.
/// </summary>
[Collection(StormCollection.Name)]
public sealed class ThrottlingStormTests(PrivateMotoServer emulator, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Night = "2026-11-26T03:00:00Z";
    private static readonly TimeSpan Storm = TimeSpan.FromMinutes(2);
    // Short on purpose: with a 10 s safety margin and 20 s longest backoff, a call is retried only in a delivery's first
    // 10 s, so deliveries during the storm run out of time and the leave-the-rest path is what gets tested.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(40);
    private readonly StringWriter log = new();
    private FaultProxy proxy = null!;

    public async Task InitializeAsync() => proxy = await FaultProxy.ForAsync(emulator.Server);

    public Task DisposeAsync() => proxy.ResetAsync();

    [Fact]
    public async Task ScheduledEvent_InATwoMinuteThrottlingStorm_AnswersInsideEachDeadline_AndFinishesOnceItClears()
    {
        // A night with history: 10 backups to make, 10 copies to start, 10 images to retire.
        var world = await FaultWorld.SeedAsync(emulator.Server, taggedInstances: 10);
        await world.RunCleanNightsAsync("2026-11-24T03:00:00Z", "2026-11-25T03:00:00Z");
        var settings = FaultWorld.KeepLastSettings();
        settings["DEADLINE_SAFETY_SECONDS"] = "10";
        await proxy.ConfigureAsync(new { seed = 60, throttle = 0.60, stormSeconds = Storm.TotalSeconds });
        var clock = Stopwatch.StartNew();

        // Lambda delivers again after each function error; past its two retries, the next invocation would carry on.
        // Deliveries here follow each other at once (Lambda would wait a minute or two) until one finishes the night,
        // for at most a minute and a half after the storm: by then the night must be done.
        var deliveries = new List<Delivery>();
        while (!deliveries.Any(d => d.Ok) && clock.Elapsed < Storm + TimeSpan.FromSeconds(90))
        {
            deliveries.Add(await Deliveries.InvokeOnceAsync(EmulatedFunction.Create(proxy.Url, settings, log: log), FaultWorld.ScheduledEvent(Night), Deadline));
        }

        var report = string.Join(" | ", deliveries.Select(d => $"at {d.AnsweredAt:HH:mm:ss}: {d}"));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0}s: {report}");
        Assert.All(deliveries, d => Assert.True(d.AnsweredAt <= d.Deadline, $"answered after its deadline: {report}"));
        Assert.All(deliveries.Where(d => !d.Ok), d => Assert.True(d.ErrorType is "PassUnfinished" or "DeadlineReached", $"an error other than running out of time: {report}"));
        Assert.True(deliveries.Any(d => d.Ok), $"no delivery finished the night: {report}");
        Assert.True(deliveries.Count > 1, $"the storm never cut a delivery short, so this test tested nothing: {report}");
        Assert.Empty(deliveries.Where(d => d.Ok).SelectMany(d => FaultWorld.ThrottlingFailures(d.Summary!.Value)));
        Assert.DoesNotContain(LogLines(), l => Message(l) == "summary" && l.GetProperty("summary").GetProperty("failures").GetArrayLength() > 0);

        var stats = await proxy.StatsAsync();
        Assert.True(stats.Total(c => c.Throttled) > 0, await proxy.StatsTextAsync());
        Assert.Contains(LogLines(), l => l.TryGetProperty("ThrottledCalls", out var t) && t.GetInt32() > 0);

        await proxy.ResetAsync();
        foreach (var image in await world.ManagedImagesAsync(FaultWorld.East))
        {
            Assert.True((await Deliveries.InvokeOnceAsync(EmulatedFunction.Create(proxy.Url, settings), FaultWorld.ImageAvailableEvent(image.ImageId), Deadline)).Ok);
        }

        await world.AssertConvergedAsync("20261126T0300Z");
    }

    private List<JsonElement> LogLines() =>
        [.. log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    private static string? Message(JsonElement line) => line.TryGetProperty("message", out var m) ? m.GetString() : null;
}
