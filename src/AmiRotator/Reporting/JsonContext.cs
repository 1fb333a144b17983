using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using AmiRotator.Lambda;

namespace AmiRotator.Reporting;

/// <summary>Every type the function serializes, source-generated so native AOT needs no reflection.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = false)]
[JsonSerializable(typeof(Summary))]
[JsonSerializable(typeof(ErrorPayload))]
internal sealed partial class JsonContext : JsonSerializerContext
{
    /// <summary>
    /// Our messages quote names ('dryRun', 'i-...'); the default encoder would write them as \u0027 in the console and logs.
    /// The output is UTF-8 JSON read by Lambda and CloudWatch, never embedded in HTML.
    /// </summary>
    public static JsonContext Readable { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
