using System.Text;
using System.Text.Json;

namespace AmiRotator.Reporting;

/// <summary>
/// One JSON object per line on stdout, as Lambda's JSON log format expects. Key names are constants so that
/// log queries don't break when messages change.
/// </summary>
internal sealed class Log(TextWriter output, TimeProvider clock)
{
    public const string TimestampKey = "timestamp";
    public const string LevelKey = "level";
    public const string MessageKey = "message";
    public const string RequestIdKey = "requestId";

    private static readonly AsyncLocal<string?> CurrentRequestId = new();

    // Messages quote ids and names; keep them readable in CloudWatch instead of \u0027 escapes.
    private static readonly JsonWriterOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    // One lock for the process: every Log writes whole lines to the same stdout, and a torn line is unparseable.
    private static readonly Lock Gate = new();

    public IDisposable BeginInvocation(string requestId)
    {
        CurrentRequestId.Value = requestId;
        return new Scope();
    }

    public void Info(string message, params (string Key, object? Value)[] fields) => Write("INFO", message, fields);

    public void Warn(string message, params (string Key, object? Value)[] fields) => Write("WARN", message, fields);

    public void Error(string message, params (string Key, object? Value)[] fields) => Write("ERROR", message, fields);

    /// <summary>Writes an already-serialized JSON value under <paramref name="key"/> (the summary, an EMF record).</summary>
    public void Raw(string level, string message, string key, byte[] json) =>
        Write(level, message, [], (key, json));

    /// <summary>Writes a complete JSON object line as is (CloudWatch EMF records must be top-level objects).</summary>
    public void Line(byte[] jsonObject)
    {
        lock (Gate)
        {
            output.WriteLine(Encoding.UTF8.GetString(jsonObject));
            output.Flush();
        }
    }

    private void Write(string level, string message, (string Key, object? Value)[] fields, (string Key, byte[] Json)? raw = null)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Readable))
        {
            json.WriteStartObject();
            json.WriteString(TimestampKey, Iso8601.Milliseconds(clock.GetUtcNow()));
            json.WriteString(LevelKey, level);
            json.WriteString(MessageKey, message);
            if (CurrentRequestId.Value is { } requestId)
            {
                json.WriteString(RequestIdKey, requestId);
            }

            foreach (var (key, value) in fields)
            {
                switch (value)
                {
                    case null:
                        json.WriteNull(key);
                        break;
                    case int i:
                        json.WriteNumber(key, i);
                        break;
                    case long l:
                        json.WriteNumber(key, l);
                        break;
                    case double d:
                        json.WriteNumber(key, d);
                        break;
                    case bool b:
                        json.WriteBoolean(key, b);
                        break;
                    case IEnumerable<string> list:
                        json.WriteStartArray(key);
                        foreach (var item in list)
                        {
                            json.WriteStringValue(item);
                        }

                        json.WriteEndArray();
                        break;
                    default:
                        json.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                        break;
                }
            }

            if (raw is { } r)
            {
                json.WritePropertyName(r.Key);
                json.WriteRawValue(r.Json, skipInputValidation: true);
            }

            json.WriteEndObject();
        }

        Line(buffer.ToArray());
    }

    private sealed class Scope : IDisposable
    {
        public void Dispose() => CurrentRequestId.Value = null;
    }
}
