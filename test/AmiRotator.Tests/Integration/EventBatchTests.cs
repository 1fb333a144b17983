using System.Text;
using System.Text.Json;
using Amazon.EC2.Model;
using AmiRotator.Tests.Emulator;
using AmiRotator.Tests.Faults;
using AmiRotator.Tests.Invocation;
using Xunit;

namespace AmiRotator.Tests.Integration;

/// <summary>
/// SQS batches of AMI events through the function as production builds it, against the emulator in two Regions:
/// the answer lists exactly the records to deliver again [lambda/latest/dg/with-sqs, "Reporting batch item failures"].
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class EventBatchTests(MotoServer moto) : IAsyncLifetime
{
    private const string East = FaultWorld.East;
    private const string West = FaultWorld.West;

    public Task InitializeAsync() => moto.ResetAsync();

    public Task DisposeAsync() => moto.ResetAsync();

    [Fact]
    public async Task Batch_WithEventsOfBothRegions_CopiesWhatBecameAvailable_AndWhatFailedInTheDrRegion_AndReturnsOnlyTheUnreadableRecord()
    {
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 2);
        var log = new StringWriter();
        var function = EmulatedFunction.Create(moto, FaultWorld.Settings(), log: log);
        var fresh = await BackupAsync(function, world.Tagged[0]);
        var copied = await BackupAsync(function, world.Tagged[1]);
        await function.InvokeAsync($$"""{"action":"copy","instanceIds":["{{world.Tagged[1]}}"]}""");
        var failedCopy = (await world.ManagedImagesAsync(West)).Single().ImageId;
        await moto.SetImageStateAsync(failedCopy, "failed", "Snapshot copy failed");
        await moto.ResetCallsAsync();

        var answer = await function.InvokeAsync(BatchParserTests.Batch(
            BatchParserTests.Record("m-available", FaultWorld.ImageAvailableEvent(fresh)),
            BatchParserTests.Record("m-failed-copy", FailedEvent(failedCopy, West)),
            BatchParserTests.Record("m-unreadable", "{not json"),
            BatchParserTests.Record("m-elsewhere", FaultWorld.ImageAvailableEvent(fresh).Replace(East, "eu-west-1", StringComparison.Ordinal))));

        Assert.Equal("""{"batchItemFailures":[{"itemIdentifier":"m-unreadable"}]}""", JsonSerializer.Serialize(answer));
        var west = await world.ManagedImagesAsync(West);
        Assert.Single(west, i => FaultWorld.Tag(i.Tags, "ami-rotator:source-image-id") == fresh);
        Assert.Single(west, i => FaultWorld.Tag(i.Tags, "ami-rotator:source-image-id") == copied && i.Name.Contains("-retry-", StringComparison.Ordinal));
        var emf = log.ToString().Split('\n').Where(l => l.StartsWith("{\"_aws\"", StringComparison.Ordinal)).ToList();
        Assert.Contains(emf, l => l.Contains("\"ImageFailed\":1", StringComparison.Ordinal));
        // One batch, one read: no listing of snapshots, nothing per event beyond the copies.
        var calls = await moto.CallsAsync();
        Assert.DoesNotContain(calls, c => c.Action == "DescribeSnapshots");
    }

    [Fact]
    public async Task Batch_WhenDescribeImagesLagsBehindTheEvent_ReturnsThatRecord_ForTheQueueToDeliverItAgain()
    {
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 1);
        var function = EmulatedFunction.Create(moto, FaultWorld.Settings());
        var backup = await BackupAsync(function, world.Tagged[0]);
        await moto.SetImageStateAsync(backup, "pending"); // the event says available; EC2's read doesn't yet

        var answer = await function.InvokeAsync(BatchParserTests.Batch(BatchParserTests.Record("m-1", FaultWorld.ImageAvailableEvent(backup))));

        Assert.Equal("""{"batchItemFailures":[{"itemIdentifier":"m-1"}]}""", JsonSerializer.Serialize(answer));
        Assert.Empty(await world.ManagedImagesAsync(West));
    }

    [Fact]
    public async Task Batch_WhenTheReadIsDenied_ReturnsEveryRecord_AndChangesNothing()
    {
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 1);
        var function = EmulatedFunction.Create(moto, FaultWorld.Settings());
        var backup = await BackupAsync(function, world.Tagged[0]);
        await moto.DenyAsync("us-west-2:DescribeImages");
        await moto.ResetCallsAsync();

        var answer = await function.InvokeAsync(BatchParserTests.Batch(
            BatchParserTests.Record("m-1", FaultWorld.ImageAvailableEvent(backup)),
            BatchParserTests.Record("m-2", FaultWorld.ImageAvailableEvent(backup))));

        Assert.Equal("""{"batchItemFailures":[{"itemIdentifier":"m-1"},{"itemIdentifier":"m-2"}]}""", JsonSerializer.Serialize(answer));
        Assert.DoesNotContain(await moto.CallsAsync(), c => c.Action is "CopyImage" or "CreateImage" or "DeregisterImage" or "DeleteSnapshot" or "CreateTags");
    }

    [Fact]
    public async Task Batch_WhenTheSameEventComesTwice_CopiesOnce_AndAnswersBoth()
    {
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 1);
        var function = EmulatedFunction.Create(moto, FaultWorld.Settings());
        var backup = await BackupAsync(function, world.Tagged[0]);

        var answer = await function.InvokeAsync(BatchParserTests.Batch(
            BatchParserTests.Record("m-1", FaultWorld.ImageAvailableEvent(backup)),
            BatchParserTests.Record("m-2", FaultWorld.ImageAvailableEvent(backup))));

        Assert.Equal("""{"batchItemFailures":[]}""", JsonSerializer.Serialize(answer));
        Assert.Single(await world.ManagedImagesAsync(West));
    }

    private static string FailedEvent(string imageId, string region) =>
        FaultWorld.ImageAvailableEvent(imageId).Replace($"\"region\":\"{East}\"", $"\"region\":\"{region}\"", StringComparison.Ordinal)
            .Replace("\"State\":\"available\",\"ErrorMessage\":\"\"", "\"State\":\"failed\",\"ErrorMessage\":\"Snapshot copy failed\"", StringComparison.Ordinal);

    private static async Task<string> BackupAsync(Function function, string instanceId)
    {
        var summary = await function.InvokeAsync($$"""{"action":"backup","instanceIds":["{{instanceId}}"]}""");
        return summary.GetProperty("created")[0].GetProperty("imageId").GetString()!;
    }
}
