using System.Text.Json;
using AmiRotator.Lambda;
using AmiRotator.Tests.Emulator;
using AmiRotator.Tests.Faults;
using Xunit;

namespace AmiRotator.Tests.Integration;

/// <summary>
/// One listing that fails for good (here: denied by IAM) fails only what depends on it. The rest of the night goes
/// on, the failure is reported, and the invocation ends as PassFailed so that someone looks.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class PartialReadTests(MotoServer moto) : IAsyncLifetime
{
    private const string Night = "2026-11-26T03:00:00Z";

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => moto.ResetAsync();

    [Fact]
    public async Task Run_WhenTheDrRegionCannotBeRead_StillBacksUpTheSourceRegion_AndRetiresNothingThere()
    {
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 2);
        await world.RunCleanNightsAsync("2026-11-24T03:00:00Z", "2026-11-25T03:00:00Z");
        var before = (await world.ManagedImagesAsync(FaultWorld.East)).Select(i => i.ImageId).ToHashSet(StringComparer.Ordinal);
        await moto.DenyAsync("us-west-2:DescribeImages");

        var (error, summary) = await InvokeFailingAsync(FaultWorld.ScheduledEvent(Night));

        Assert.Equal("PassFailed", error.ErrorType);
        Assert.Equal(2, summary.GetProperty("created").GetArrayLength());
        Assert.Equal(0, summary.GetProperty("copied").GetArrayLength());
        Assert.Equal(0, summary.GetProperty("retired").GetArrayLength());
        var failure = Assert.Single(summary.GetProperty("failures").EnumerateArray());
        Assert.Equal(("read", "DescribeImages", FaultWorld.West), (failure.GetProperty("step").GetString(), failure.GetProperty("subject").GetString(), failure.GetProperty("region").GetString()));
        Assert.Contains("no DR copies and no DR retention this pass", failure.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains(summary.GetProperty("kept").EnumerateArray(), k => k.GetProperty("reasons").EnumerateArray().Any(r => r.GetString()!.StartsWith("DR Region unreadable", StringComparison.Ordinal)));
        Assert.Subset((await world.ManagedImagesAsync(FaultWorld.East)).Select(i => i.ImageId).ToHashSet(StringComparer.Ordinal), before);
    }

    [Fact]
    public async Task Run_WhenTheInstancesCannotBeRead_MakesNoBackups_ButRetentionGoesOn()
    {
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 2);
        await world.RunCleanNightsAsync("2026-11-24T03:00:00Z", "2026-11-25T03:00:00Z");
        var oldest = (await world.ManagedImagesAsync(FaultWorld.East)).Where(i => i.Name.Contains("-20261124T0300Z-", StringComparison.Ordinal)).Select(i => i.ImageId).Order().ToList();
        await moto.DenyAsync("us-east-1:DescribeInstances");

        var (error, summary) = await InvokeFailingAsync(FaultWorld.ScheduledEvent(Night));

        Assert.Equal("PassFailed", error.ErrorType);
        Assert.Equal(0, summary.GetProperty("created").GetArrayLength());
        Assert.Equal(0, summary.GetProperty("copied").GetArrayLength());
        // The backups recorded their policies, so retention needs no instance to judge them.
        Assert.Equal(oldest, summary.GetProperty("retired").EnumerateArray().Where(r => r.GetProperty("region").GetString() == FaultWorld.East).Select(r => r.GetProperty("imageId").GetString()).Order());
        var failure = Assert.Single(summary.GetProperty("failures").EnumerateArray());
        Assert.Equal(("read", "DescribeInstances"), (failure.GetProperty("step").GetString(), failure.GetProperty("subject").GetString()));
        Assert.Contains("no backups, DR copies or adoptions this pass", failure.GetProperty("error").GetString(), StringComparison.Ordinal);
        await world.AssertNoOrphanedManagedSnapshotAsync(FaultWorld.East);
    }

    [Fact]
    public async Task Run_WhenTheSourceImagesCannotBeRead_ChangesNothing_AndSaysWhy()
    {
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 2);
        await moto.DenyAsync("us-east-1:DescribeImages");

        var (error, summary) = await InvokeFailingAsync(FaultWorld.ScheduledEvent(Night));

        Assert.Equal("PassFailed", error.ErrorType);
        Assert.Contains("nothing was planned", Assert.Single(summary.GetProperty("failures").EnumerateArray()).GetProperty("error").GetString(), StringComparison.Ordinal);
        await moto.ResetAsync(); // lifts the denial before looking
        Assert.Empty(await world.ManagedImagesAsync(FaultWorld.East));
    }

    private async Task<(FunctionErrorException Error, JsonElement Summary)> InvokeFailingAsync(string payload)
    {
        var log = new StringWriter();
        var function = EmulatedFunction.Create(moto, FaultWorld.KeepLastSettings(), log: log);
        var error = await Assert.ThrowsAsync<FunctionErrorException>(() => function.InvokeAsync(payload));
        var summary = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone())
            .Last(l => l.TryGetProperty("message", out var m) && m.GetString() == "summary")
            .GetProperty("summary");
        return (error, summary);
    }
}
