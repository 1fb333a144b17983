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

    public static byte[] Emf(DateTimeOffset timestamp, string functionName, IReadOnlyList<(string Name, double Value)> values)
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
            json.WriteEndArray();
            json.WriteEndArray();
            json.WriteStartArray("Metrics");
            foreach (var (name, _) in values)
            {
                json.WriteStartObject();
                json.WriteString("Name", name);
                json.WriteString("Unit", "Count");
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteString("FunctionName", functionName);
            foreach (var (name, value) in values)
            {
                json.WriteNumber(name, value);
            }

            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
