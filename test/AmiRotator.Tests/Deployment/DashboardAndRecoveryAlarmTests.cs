using System.Reflection;
using System.Text.Json.Nodes;
using AmiRotator.Reporting;
using Xunit;

namespace AmiRotator.Tests.Deployment;

/// <summary>
/// The dashboard and the recovery-point alarms as CloudFormation creates them (after the SAM transform, resolved for
/// real parameter values): the dashboard body must be valid JSON, and every metric they name must be one the
/// function emits, with the dimensions it emits (<see cref="Metrics"/>), or the widget and alarm show nothing.
/// </summary>
public sealed class DashboardAndRecoveryAlarmTests
{
    private static readonly Dictionary<string, string> WithDr = new() { ["DrRegion"] = "us-west-2", ["RpoHours"] = "30" };

    private static readonly HashSet<string> Emitted = [.. typeof(Metrics).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.Name != nameof(Metrics.Namespace)).Select(f => (string)f.GetRawConstantValue()!)];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Dashboard_IsValidJson_AndShowsEveryMetricWithTheDimensionsTheFunctionEmits(bool dr)
    {
        var stack = DeployedStack.FromSam(dr ? WithDr : new Dictionary<string, string>());
        var body = stack.Resolver.Resolve(stack.Resolver.Resource("Dashboard")["Properties"])!["DashboardBody"]!.GetValue<string>();

        var widgets = JsonNode.Parse(body)!["widgets"]!.AsArray();
        var series = widgets.SelectMany(w => w!["properties"]!["metrics"]!.AsArray())
            .Select(m => m!.AsArray().Where(p => p is JsonValue).Select(p => p!.GetValue<string>()).ToList()).ToList();

        Assert.All(series, m => Assert.Equal("AmiRotator", m[0]));
        Assert.All(series, m => Assert.Contains(m[1], Emitted));
        Assert.All(series, m => Assert.Equal(["FunctionName", FunctionName(stack)], m.Skip(2).Take(2)));
        var ageRegions = series.Where(m => m[1] == Metrics.OldestRecoveryPointHours).Select(m => m[5]).ToList();
        Assert.Equal(dr ? ["us-east-1", "us-west-2"] : ["us-east-1"], ageRegions);
        Assert.All(series.Where(m => m[1] is Metrics.OldestRecoveryPointHours or Metrics.StaleRecoveryPoints), m => Assert.Equal("Region", m[4]));
        foreach (var shown in new[] { Metrics.Created, Metrics.Copied, Metrics.Retired, Metrics.Failures, Metrics.ThrottledCalls, Metrics.StaleRecoveryPoints, Metrics.DrillsPassed, Metrics.DrillsFailed, Metrics.DrillRtoSeconds })
        {
            Assert.Contains(series, m => m[1] == shown);
        }
    }

    [Fact]
    public void RecoveryAlarms_WatchEachRegion_AtTheRpo()
    {
        var stack = DeployedStack.FromSam(WithDr);

        foreach (var (id, metric, region) in new[]
        {
            ("RecoveryPointAgeAlarm", Metrics.OldestRecoveryPointHours, "us-east-1"),
            ("DrRecoveryPointAgeAlarm", Metrics.OldestRecoveryPointHours, "us-west-2"),
            ("StaleRecoveryPointsAlarm", Metrics.StaleRecoveryPoints, "us-east-1"),
            ("DrStaleRecoveryPointsAlarm", Metrics.StaleRecoveryPoints, "us-west-2"),
        })
        {
            var alarm = stack.Resolver.Resolve(stack.Resolver.Resource(id)["Properties"])!;
            Assert.Equal(metric, alarm["MetricName"]!.GetValue<string>());
            var dimensions = alarm["Dimensions"]!.AsArray().ToDictionary(d => d!["Name"]!.GetValue<string>(), d => d!["Value"]!.GetValue<string>());
            Assert.Equal(region, dimensions["Region"]);
            Assert.True(dimensions.ContainsKey("FunctionName"));
            Assert.Equal(metric == Metrics.OldestRecoveryPointHours ? "30" : "1", alarm["Threshold"]!.ToString());
        }

        Assert.DoesNotContain(DeployedStack.FromSam(new Dictionary<string, string>()).Resolver.Resources, r => r.LogicalId.StartsWith("Dr", StringComparison.Ordinal) && r.LogicalId.EndsWith("Alarm", StringComparison.Ordinal));
    }

    private static string FunctionName(DeployedStack stack) => stack.Resolver.Resolve(new JsonObject { ["Ref"] = "AmiRotatorFunction" })!.GetValue<string>();
}
