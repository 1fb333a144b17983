using System.Text.Json;

namespace AmiRotator.Reporting;

/// <summary>
/// CloudWatch Embedded Metric Format: one JSON object per pass, written to stdout. The alarms in template.yaml
/// watch <see cref="Namespace"/>/<see cref="Failures"/> with the FunctionName dimension.
/// </summary>
internal static class Metrics
{
    public const string Namespace = "AmiRotator";
    public const string Failures = "Failures";
    public const string RetireBudgetExceeded = "RetireBudgetExceeded";
    public const string ImageFailed = "ImageFailed";
    public const string Created = "BackupsCreated";
    public const string Copied = "CopiesStarted";
    public const string Retired = "ImagesRetired";
    public const string SnapshotsDeleted = "SnapshotsDeleted";

    /// <summary>EC2 calls answered with throttling and retried (each retry counts once).</summary>
    public const string ThrottledCalls = "ThrottledCalls";

    /// <summary>EC2 calls retried for any reason: throttling, 5xx, or an answer that never came.</summary>
    public const string RetriedCalls = "RetriedCalls";

    /// <summary>The worst age, in hours, among protected instances of their newest available backup (per Region).</summary>
    public const string OldestRecoveryPointHours = "OldestRecoveryPointHours";

    /// <summary>Protected instances whose newest available backup is older than RPO_HOURS, or missing (per Region).</summary>
    public const string StaleRecoveryPoints = "StaleRecoveryPoints";

    /// <summary>Restore drills whose instance reached running with its status checks passed, and those that didn't.</summary>
    public const string DrillsPassed = "DrillsPassed";

    public const string DrillsFailed = "DrillsFailed";

    /// <summary>A passed drill's time from RunInstances to running with status checks passed (the restore's RTO).</summary>
    public const string DrillRtoSeconds = "DrillRtoSeconds";

    public static byte[] Emf(DateTimeOffset timestamp, string functionName, IReadOnlyList<(string Name, double Value)> values) =>
        Emf(timestamp, functionName, null, [.. values.Select(v => (v.Name, v.Value, "Count"))]);

    /// <summary>
    /// Recovery health of one Region, with the dimensions FunctionName and Region [AmazonCloudWatch/latest/monitoring/
    /// CloudWatch_Embedded_Metric_Format_Specification]. Hours have no CloudWatch unit, so the age is "None".
    /// </summary>
    public static byte[] RecoveryEmf(DateTimeOffset timestamp, string functionName, RecoveryHealth health) =>
        Emf(timestamp, functionName, health.Region, [(OldestRecoveryPointHours, health.OldestHours, "None"), (StaleRecoveryPoints, health.Stale, "Count")]);

    private static byte[] Emf(DateTimeOffset timestamp, string functionName, string? region, IReadOnlyList<(string Name, double Value, string Unit)> values)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("_aws");
            json.WriteNumber("Timestamp", timestamp.ToUnixTimeMilliseconds());
            json.WriteStartArray("CloudWatchMetrics");
            json.WriteStartObject();
            json.WriteString("Namespace", Namespace);
            json.WriteStartArray("Dimensions");
            json.WriteStartArray();
            json.WriteStringValue("FunctionName");
            if (region is not null)
            {
                json.WriteStringValue("Region");
            }

            json.WriteEndArray();
            json.WriteEndArray();
            json.WriteStartArray("Metrics");
            foreach (var (name, _, unit) in values)
            {
                json.WriteStartObject();
                json.WriteString("Name", name);
                json.WriteString("Unit", unit);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteString("FunctionName", functionName);
            if (region is not null)
            {
                json.WriteString("Region", region);
            }

            foreach (var (name, value, _) in values)
            {
                json.WriteNumber(name, value);
            }

            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
