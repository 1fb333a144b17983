using System.Text;
using System.Text.Json;
using AmiRotator.Lambda;
using AmiRotator.Reporting;
using AmiRotator.Tests.Emulator;

namespace AmiRotator.Tests.Integration;

/// <summary>
/// The function as production builds it (settings from an environment, real SDK clients with the endpoint
/// override), pointed at the patched emulator, and invoked the way the runtime loop invokes it.
/// </summary>
internal static class EmulatedFunction
{
    public const string Account = "123456789012";

    public static Function Create(MotoServer moto, IReadOnlyDictionary<string, string> settings, TimeProvider? clock = null, TextWriter? log = null) =>
        Create(moto.Url, settings, clock, log);

    /// <summary>The same, with EC2 at <paramref name="endpoint"/> (the fault proxy in front of the emulator, say).</summary>
    public static Function Create(Uri endpoint, IReadOnlyDictionary<string, string> settings, TimeProvider? clock = null, TextWriter? log = null)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AWS_REGION"] = "us-east-1",
            ["AWS_ENDPOINT_URL"] = endpoint.ToString().TrimEnd('/'),
        };
        foreach (var (key, value) in settings)
        {
            env[key] = value;
        }

        // The SDK reads credentials from the process environment; everything else comes from the map above.
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "test");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "test");
        return Function.Create(k => env.GetValueOrDefault(k), clock ?? TimeProvider.System, new Log(log ?? TextWriter.Null, TimeProvider.System));
    }

    public static InvocationContext Context(DateTimeOffset deadline) =>
        new(Guid.NewGuid().ToString(), deadline, $"arn:aws:lambda:us-east-1:{Account}:function:ami-rotator", null);

    public static async Task<JsonElement> InvokeAsync(this Function function, string payload, DateTimeOffset? deadline = null)
    {
        var body = await function.HandleAsync(Encoding.UTF8.GetBytes(payload), Context(deadline ?? DateTimeOffset.MaxValue), CancellationToken.None);
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
