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

        var emf = Assert.Single(log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("{\"_aws\"", StringComparison.Ordinal));
        Assert.Equal(
            """{"_aws":{"Timestamp":1795662004000,"CloudWatchMetrics":[{"Namespace":"AmiRotator","Dimensions":[["FunctionName"]],"Metrics":[""" +
            """{"Name":"Failures","Unit":"Count"},{"Name":"RetireBudgetExceeded","Unit":"Count"},{"Name":"BackupsCreated","Unit":"Count"},""" +
            """{"Name":"CopiesStarted","Unit":"Count"},{"Name":"ImagesRetired","Unit":"Count"},{"Name":"SnapshotsDeleted","Unit":"Count"},""" +
            """{"Name":"ThrottledCalls","Unit":"Count"},{"Name":"RetriedCalls","Unit":"Count"}]}]},"FunctionName":"ami-rotator","Failures":""" +
            """0,"RetireBudgetExceeded":0,"BackupsCreated":1,"CopiesStarted":0,"ImagesRetired":0,"SnapshotsDeleted":0,"ThrottledCalls":3,"RetriedCalls":4}""",
            emf);
        Assert.Single(world.Tagged);
    }

    /// <summary>A clock whose "now" stands still (for exact timestamps) while its timers run in real time (for backoff).</summary>
    private sealed class FixedNow(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
