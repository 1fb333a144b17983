using System.Diagnostics;
using System.Text;
using System.Text.Json;
using AmiRotator.Lambda;
using AmiRotator.Tests.Integration;

namespace AmiRotator.Tests.Faults;

/// <summary>What one delivery of an event came to: the summary it answered with, or the function error.</summary>
internal sealed record Delivery(bool Ok, JsonElement? Summary, string? ErrorType, string? ErrorMessage, TimeSpan Took, DateTimeOffset Deadline, DateTimeOffset AnsweredAt)
{
    public override string ToString() => Ok ? $"OK in {Took.TotalSeconds:0.0}s" : $"{ErrorType} in {Took.TotalSeconds:0.0}s: {ErrorMessage}";
}

/// <summary>
/// Delivers an event the way Lambda's asynchronous invocation does: again after a function error, at most
/// <c>maxDeliveries</c> times in all (the event invoke config allows two retries), each to a fresh environment.
/// </summary>
internal static class Deliveries
{
    public static async Task<Delivery> InvokeOnceAsync(Function function, string payload, TimeSpan timeout)
    {
        var started = Stopwatch.StartNew();
        var deadline = DateTimeOffset.UtcNow + timeout;
        try
        {
            var body = await function.HandleAsync(Encoding.UTF8.GetBytes(payload), EmulatedFunction.Context(deadline), CancellationToken.None);
            return new Delivery(true, JsonDocument.Parse(body).RootElement.Clone(), null, null, started.Elapsed, deadline, DateTimeOffset.UtcNow);
        }
        catch (FunctionErrorException e)
        {
            return new Delivery(false, null, e.ErrorType, e.Message, started.Elapsed, deadline, DateTimeOffset.UtcNow);
        }
    }

    public static async Task<List<Delivery>> UntilOkAsync(Func<Function> environment, string payload, int maxDeliveries, TimeSpan timeout)
    {
        var deliveries = new List<Delivery>();
        while (deliveries.Count < maxDeliveries)
        {
            var delivery = await InvokeOnceAsync(environment(), payload, timeout);
            deliveries.Add(delivery);
            if (delivery.Ok)
            {
                break;
            }
        }

        return deliveries;
    }
}
