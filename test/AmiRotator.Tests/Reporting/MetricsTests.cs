using System.Text;
using AmiRotator.Reporting;
using AmiRotator.Tests.Emulator;
using AmiRotator.Tests.Faults;
using AmiRotator.Tests.Integration;
using Xunit;

namespace AmiRotator.Tests.Reporting;

/// <summary>
/// The EMF records, as exact JSON: CloudWatch extracts metrics only from the shape it documents
/// [AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification], and the alarms in
/// template.yaml name these metrics.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class MetricsTests(MotoServer moto) : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 3, 0, 4, TimeSpan.Zero);
    private FaultProxy proxy = null!;

    public async Task InitializeAsync() => proxy = await FaultProxy.ForAsync(moto);

    public Task DisposeAsync() => proxy.ResetAsync();

    [Fact]
    public void Emf_WritesTheDocumentedEnvelope_WithEveryValue()
    {
        var json = Encoding.UTF8.GetString(Metrics.Emf(Now, "ami-rotator", [(Metrics.ThrottledCalls, 3), (Metrics.RetriedCalls, 4)]));

        Assert.Equal(
            """{"_aws":{"Timestamp":1795662004000,"CloudWatchMetrics":[{"Namespace":"AmiRotator","Dimensions":[["FunctionName"]],"Metrics":[{"Name":"ThrottledCalls","Unit":"Count"},{"Name":"RetriedCalls","Unit":"Count"}]}]},"FunctionName":"ami-rotator","ThrottledCalls":3,"RetriedCalls":4}""",
            json);
    }

    [Fact]
    public async Task Pass_WhenCallsAreThrottledAndAnAnswerIsLost_EmitsThrottledCallsAndRetriedCalls()
    {
        // DescribeInstances is throttled three times, then its answer is lost once: four retries, three of them throttling.
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 1);
        await proxy.ConfigureAsync(new { throttleFirst = 3, lostFirst = 1, actions = new[] { "DescribeInstances" } });
        var log = new StringWriter();
        var function = EmulatedFunction.Create(proxy.Url, FaultWorld.Settings(), new FixedNow(Now), log);

        await function.InvokeAsync(FaultWorld.ScheduledEvent("2026-11-26T03:00:00Z"));

        var emf = Assert.Single(log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("{\"_aws\"", StringComparison.Ordinal) && !l.Contains("\"Region\"]", StringComparison.Ordinal));
        Assert.Equal(
            """{"_aws":{"Timestamp":1795662004000,"CloudWatchMetrics":[{"Namespace":"AmiRotator","Dimensions":[["FunctionName"]],"Metrics":[""" +
            """{"Name":"Failures","Unit":"Count"},{"Name":"RetireBudgetExceeded","Unit":"Count"},{"Name":"BackupsCreated","Unit":"Count"},""" +
            """{"Name":"CopiesStarted","Unit":"Count"},{"Name":"ImagesRetired","Unit":"Count"},{"Name":"SnapshotsDeleted","Unit":"Count"},""" +
            """{"Name":"ThrottledCalls","Unit":"Count"},{"Name":"RetriedCalls","Unit":"Count"}]}]},"FunctionName":"ami-rotator","Failures":""" +
            """0,"RetireBudgetExceeded":0,"BackupsCreated":1,"CopiesStarted":0,"ImagesRetired":0,"SnapshotsDeleted":0,"ThrottledCalls":3,"RetriedCalls":4}""",
            emf);
        Assert.Single(world.Tagged);
    }

    [Fact]
    public void RecoveryEmf_HasTheRegionDimension_AndHoursWithoutAUnit()
    {
        var json = Encoding.UTF8.GetString(Metrics.RecoveryEmf(Now, "ami-rotator", new RecoveryHealth("us-west-2", 4, 30.5, 2)));

        Assert.Equal(
            """{"_aws":{"Timestamp":1795662004000,"CloudWatchMetrics":[{"Namespace":"AmiRotator","Dimensions":[["FunctionName","Region"]],"Metrics":[{"Name":"OldestRecoveryPointHours","Unit":"None"},{"Name":"StaleRecoveryPoints","Unit":"Count"}]}]},"FunctionName":"ami-rotator","Region":"us-west-2","OldestRecoveryPointHours":30.5,"StaleRecoveryPoints":2}""",
            json);
    }

    [Fact]
    public async Task Pass_EmitsEachRegionsRecoveryHealth_FromWhatItRead()
    {
        // Night one: no backup yet anywhere, so both instances are unprotected (stale, RPO_HOURS + 1 = 27 h at least).
        // Night two, a day later: yesterday's backups and their copies are the recovery points, 24 h old, none stale.
        // The emulator dates images by the wall clock, so the nights are now and a day from now.
        var night1 = new DateTimeOffset(DateTimeOffset.UtcNow.Ticks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero);
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 2);
        var log = new StringWriter();
        await EmulatedFunction.Create(moto.Url, FaultWorld.Settings(), new FixedNow(night1), log).InvokeAsync(FaultWorld.ScheduledEvent("2026-11-26T03:00:00Z"));
        foreach (var image in await world.ManagedImagesAsync(FaultWorld.East))
        {
            await EmulatedFunction.Create(moto.Url, FaultWorld.Settings(), new FixedNow(night1), TextWriter.Null).InvokeAsync(FaultWorld.ImageAvailableEvent(image.ImageId));
        }

        var night2 = new StringWriter();
        await EmulatedFunction.Create(moto.Url, FaultWorld.Settings(), new FixedNow(night1.AddDays(1)), night2).InvokeAsync(FaultWorld.ScheduledEvent("2026-11-27T03:00:00Z"));

        Assert.Equal(string.Join('\n', Recovery(night1, "us-east-1", "27", 2), Recovery(night1, "us-west-2", "27", 2)), RecoveryLines(log));
        Assert.Equal(string.Join('\n', Recovery(night1.AddDays(1), "us-east-1", "24", 0), Recovery(night1.AddDays(1), "us-west-2", "24", 0)), RecoveryLines(night2));
    }

    private static string Recovery(DateTimeOffset at, string region, string hours, int stale) =>
        $$$"""{"_aws":{"Timestamp":{{{at.ToUnixTimeMilliseconds()}}},"CloudWatchMetrics":[{"Namespace":"AmiRotator","Dimensions":[["FunctionName","Region"]],"Metrics":[{"Name":"OldestRecoveryPointHours","Unit":"None"},{"Name":"StaleRecoveryPoints","Unit":"Count"}]}]},"FunctionName":"ami-rotator","Region":"{{{region}}}","OldestRecoveryPointHours":{{{hours}}},"StaleRecoveryPoints":{{{stale}}}}""";

    private static string RecoveryLines(StringWriter log) => string.Join('\n', RecoveryLineList(log));

    private static List<string> RecoveryLineList(StringWriter log) =>
        [.. log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("{\"_aws\"", StringComparison.Ordinal) && l.Contains("\"Region\"]", StringComparison.Ordinal))];

    /// <summary>A clock whose "now" stands still (for exact timestamps) while its timers run in real time (for backoff).</summary>
    private sealed class FixedNow(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
