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
internal sealed partial class JsonContext : JsonSerializerContext;
