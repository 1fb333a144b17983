using System.Text;
using System.Text.Json.Nodes;
using AmiRotator.Tests.Deployment;
using AmiRotator.Tests.Emulator;
using AmiRotator.Tests.Faults;
using AmiRotator.Tests.Lambda;
using Xunit;
using Xunit.Abstractions;

namespace AmiRotator.Tests.NightLoop;

/// <summary>
/// The real bootstrap driven by template.yaml's own night-loop definition, run as Step Functions runs it
/// (<see cref="StatesRunner"/>): each Task is an invocation through the Runtime API, each Wait is honoured (shortened,
/// with the emulator moved on as time would move it). The loop's contract is the function's: it decides every step.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class NightLoopTests(MotoServer moto, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    // Tonight, to the minute: a night long past is over (NIGHT_HOURS), and its loop would stop at once.
    private static readonly DateTimeOffset Tonight = new(DateTimeOffset.UtcNow.Ticks / TimeSpan.TicksPerMinute * TimeSpan.TicksPerMinute, TimeSpan.Zero);

    private static string Night => Tonight.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static string NightTag => Tonight.ToString("yyyyMMdd'T'HHmm'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => moto.ResetAsync();

    [Fact]
    public async Task Night_WhenCopiesMustWaitForSlots_LoopsUntilEveryBackupHasItsCopy_ThenPrunes_AndSucceeds()
    {
        // Tonight's backups and copies stay pending until the loop's wait "passes"; three slots shared by three
        // writers: one copy per step. The first copy step finds its sources pending (a short wait), the later ones
        // only short of slots (a long one).
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 3);
        await world.RunCleanNightsAsync("2026-11-24T03:00:00Z", "2026-11-25T03:00:00Z");
        await moto.SetNewImageStateAsync("pending");
        await moto.SetNewCopyStateAsync("pending");
        var settings = FaultWorld.KeepLastSettings();
        settings["MAX_COPIES_IN_FLIGHT"] = "3";
        settings["COPY_WRITERS"] = "3";

        var (outcome, runner) = await RunNightAsync(settings, async () =>
        {
            // What the wait stands for: EC2 finishes the backups and the copies in flight.
            foreach (var region in new[] { FaultWorld.East, FaultWorld.West })
            {
                foreach (var pending in (await world.ManagedImagesAsync(region)).Where(i => i.State == Amazon.EC2.ImageState.Pending))
                {
                    await moto.SetImageStateAsync(pending.ImageId, "available");
                }
            }
        });

        output.WriteLine($"{outcome}: {string.Join(" > ", runner.Inputs.Select(i => (string?)i["phase"]))}; waits {string.Join(", ", runner.Waits.Select(w => w.TotalSeconds))}");
        Assert.True(outcome.Succeeded, outcome.ToString());
        var phases = runner.Inputs.Select(i => (string)i["phase"]!).ToList();
        Assert.Equal("backup", phases[0]);
        Assert.True(phases.Count(p => p == "copy") >= 3, $"one copy per step needs at least three copy steps: {string.Join(", ", phases)}");
        Assert.Equal("prune", phases[^1]);
        Assert.All(runner.Inputs, i => Assert.Equal(Night, (string)i["scheduledTime"]!));
        Assert.Contains(NightLoopTimes.CopyWait, runner.Waits);
        Assert.Contains(AmiRotator.Execution.NightStep.SlotWait, runner.Waits);
        await world.AssertConvergedAsync(NightTag);
    }

    [Fact]
    public async Task Night_WhenACopyIsDenied_GoesOnToTheEnd_ThenFailsAsNightFailed()
    {
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 2);
        await moto.DenyAsync("us-west-2:CopyImage");

        var (outcome, runner) = await RunNightAsync(FaultWorld.Settings(), () => Task.CompletedTask);

        Assert.False(outcome.Succeeded);
        Assert.Equal("NightFailed", outcome.Error);
        Assert.Equal(["backup", "copy", "prune"], runner.Inputs.Select(i => (string)i["phase"]!));
        Assert.Equal(2, (await world.ManagedImagesAsync(FaultWorld.East)).Count); // the backups were made all the same
    }

    private async Task<(StatesOutcome Outcome, StatesRunner Runner)> RunNightAsync(Dictionary<string, string> settings, Func<Task> timePasses)
    {
        await using var runtime = new FakeRuntimeApi();
        await using var bootstrap = BootstrapProcess.Start(runtime, settings, moto.Url.ToString().TrimEnd('/'));
        var runner = new StatesRunner(
            NightLoopDefinition.Load(),
            async payload =>
            {
                var id = await runtime.EnqueueAsync(Encoding.UTF8.GetBytes(payload.ToJsonString()), DateTimeOffset.UtcNow.AddMinutes(5));
                var result = await runtime.WaitForResultAsync(id, Wait);
                return result.Kind == InvocationResultKind.Response
                    ? new InvokeResult(JsonNode.Parse(result.Body))
                    : new InvokeResult(null, result.Error.ErrorType, result.Error.ErrorMessage);
            },
            // A wait of zero seconds lets no time pass: EC2 finishes nothing in it.
            wait => wait > TimeSpan.Zero ? timePasses() : Task.CompletedTask);
        // events/night.json, the schedule's input, for tonight.
        var input = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryFiles.EventsDirectory, "night.json")))!;
        input["scheduledTime"] = Night;
        var outcome = await runner.RunAsync(input);
        foreach (var line in bootstrap.LogLines().Where(l => l.TryGetProperty("message", out var m) && m.GetString() is "night step"))
        {
            output.WriteLine(line.ToString().Length > 1500 ? line.ToString()[..1500] : line.ToString());
        }

        return (outcome, runner);
    }
}

/// <summary>The waits the function asks the loop for (NightStep), as the loop sees them.</summary>
internal static class NightLoopTimes
{
    public static readonly TimeSpan CopyWait = AmiRotator.Execution.NightStep.CopyWait;
}
