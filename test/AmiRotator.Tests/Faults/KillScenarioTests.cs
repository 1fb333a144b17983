using System.Text.Json;
using AmiRotator.Tests.Emulator;
using AmiRotator.Tests.Lambda;
using Xunit;

namespace AmiRotator.Tests.Faults;

/// <summary>
/// The real native bootstrap, killed with SIGKILL in the middle of a night (as Lambda ends an environment at its
/// timeout, or a host fails), then the same event delivered again to a fresh one. The proxy holds the mutating call
/// after the n-th, so the kill lands at an exact point; the held call is never forwarded. The night under test has
/// 7 backups to make, 7 copies to start and 7 images to retire: 21 mutations.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class KillScenarioTests(MotoServer moto) : IAsyncLifetime
{
    private const string Night = "2026-11-26T03:00:00Z";
    private const string NightTag = "20261126T0300Z";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private FaultProxy proxy = null!;

    public async Task InitializeAsync() => proxy = await FaultProxy.ForAsync(moto);

    public Task DisposeAsync() => proxy.ResetAsync();

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(9)]
    [InlineData(17)]
    public async Task ScheduledEvent_WhenTheProcessIsKilledAfterNMutatingCalls_ConvergesOnTheNextDelivery(int mutations)
    {
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 7);
        await world.RunCleanNightsAsync("2026-11-24T03:00:00Z", "2026-11-25T03:00:00Z");
        var olderNight = (await world.ManagedImagesAsync(FaultWorld.East)).Where(i => i.Name.Contains("-20261124T0300Z-", StringComparison.Ordinal)).Select(i => i.ImageId).ToList();
        Assert.Equal(7, olderNight.Count);
        var settings = FaultWorld.KeepLastSettings();
        var endpoint = proxy.Url.ToString().TrimEnd('/');

        await proxy.ConfigureAsync(new { holdAfterMutations = mutations });
        await using (var killedRuntime = new FakeRuntimeApi())
        {
            await using var killed = BootstrapProcess.Start(killedRuntime, settings, endpoint);
            await killedRuntime.EnqueueAsync(FaultWorld.ScheduledEvent(Night), TimeSpan.FromMinutes(5));
            await proxy.WaitForHeldAsync(1, Wait);
            await killed.KillAsync();
        }

        await proxy.ConfigureAsync(new { holdAfterMutations = (int?)null }); // the held calls are hung up, never forwarded
        Assert.Equal(mutations, (await proxy.StatsAsync()).Mutations);

        // Lambda delivers the event again (an invocation that never answered is an error), to a new environment.
        await using var runtime = new FakeRuntimeApi();
        await using var bootstrap = BootstrapProcess.Start(runtime, settings, endpoint);
        var answers = new List<InvocationResult>();
        while (answers.Count < 2 && answers.All(a => a.Kind != InvocationResultKind.Response))
        {
            answers.Add(await runtime.WaitForResultAsync(await runtime.EnqueueAsync(FaultWorld.ScheduledEvent(Night), TimeSpan.FromMinutes(5)), Wait));
        }

        Assert.True(answers.Any(a => a.Kind == InvocationResultKind.Response), string.Join(" | ", answers.Select(a => a.BodyText)));
        foreach (var image in (await world.ManagedImagesAsync(FaultWorld.East)).Where(i => i.Name.Contains($"-{NightTag}-", StringComparison.Ordinal)))
        {
            var copy = await runtime.WaitForResultAsync(await runtime.EnqueueAsync(FaultWorld.ImageAvailableEvent(image.ImageId), TimeSpan.FromMinutes(5)), Wait);
            Assert.True(copy.Kind == InvocationResultKind.Response, copy.BodyText);
        }

        await world.AssertConvergedAsync(NightTag);
        var east = (await world.ManagedImagesAsync(FaultWorld.East)).Select(i => i.ImageId).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(olderNight, east.Contains); // retired as the policy says, kill or no kill
        Assert.Contains(bootstrap.LogLines(), l => l.TryGetProperty("message", out var m) && m.GetString() == "summary");
    }
}
