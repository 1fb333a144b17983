using System.Globalization;
using System.Text.Json.Nodes;

namespace AmiRotator.Tests.NightLoop;

/// <summary>
/// Runs an Amazon States Language definition the way Step Functions does, for the states the night loop uses
/// [step-functions/latest/dg/concepts-amazon-states-language]: Task (lambda:invoke with Parameters, OutputPath,
/// Retry and Catch matched on the error name), Choice (BooleanEquals, NumericGreaterThan, Default), Wait
/// (Seconds, SecondsPath), Pass (OutputPath), Succeed and Fail. Paths are the "$" and "$.a.b" forms. Anything else
/// the definition uses throws, so a definition that outgrows this runner can't pass unnoticed.
/// </summary>
internal sealed class StatesRunner(JsonObject definition, Func<JsonNode, Task<InvokeResult>> invoke, Func<TimeSpan, Task> wait)
{
    private const int MaxTransitions = 1000;

    public List<string> Visited { get; } = [];

    public List<TimeSpan> Waits { get; } = [];

    public List<JsonNode> Inputs { get; } = [];

    public async Task<StatesOutcome> RunAsync(JsonNode input)
    {
        var states = (JsonObject)definition["States"]!;
        var name = (string)definition["StartAt"]!;
        var data = input.DeepClone();
        for (var transition = 0; transition < MaxTransitions; transition++)
        {
            Visited.Add(name);
            var state = (JsonObject)(states[name] ?? throw new InvalidOperationException($"no state {name}"));
            switch ((string)state["Type"]!)
            {
                case "Task":
                    var (next, output) = await TaskAsync(state, data).ConfigureAwait(false);
                    (name, data) = (next, output);
                    break;
                case "Choice":
                    name = Choose(state, data);
                    break;
                case "Wait":
                    var seconds = state["SecondsPath"] is { } path ? Select(data, (string)path!)!.GetValue<double>() : state["Seconds"]!.GetValue<double>();
                    Waits.Add(TimeSpan.FromSeconds(seconds));
                    await wait(TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
                    name = (string)state["Next"]!;
                    break;
                case "Pass":
                    data = Output(state, data);
                    name = (string)state["Next"]!;
                    break;
                case "Succeed":
                    return new StatesOutcome(true, null, data);
                case "Fail":
                    return new StatesOutcome(false, (string?)state["Error"], data);
                default:
                    throw new NotSupportedException($"state type {state["Type"]} is not supported by this runner");
            }
        }

        throw new InvalidOperationException($"the execution made {MaxTransitions} transitions without ending");
    }

    private async Task<(string Next, JsonNode Output)> TaskAsync(JsonObject state, JsonNode data)
    {
        if (!((string)state["Resource"]!).EndsWith(":states:::lambda:invoke", StringComparison.Ordinal))
        {
            throw new NotSupportedException($"Task resource {state["Resource"]} is not supported by this runner");
        }

        var parameters = (JsonObject)state["Parameters"]!;
        var payload = Select(data, (string)parameters["Payload.$"]!)!.DeepClone();
        var attempts = new Dictionary<JsonNode, int>();
        while (true)
        {
            Inputs.Add(payload.DeepClone());
            var result = await invoke(payload).ConfigureAwait(false);
            if (result.Error is null)
            {
                // lambda:invoke's result is {"Payload": <the function's answer>, "StatusCode": 200, ...}.
                var invokeResult = new JsonObject { ["Payload"] = result.Payload!.DeepClone(), ["StatusCode"] = 200 };
                return ((string)state["Next"]!, Output(state, invokeResult));
            }

            var retrier = (state["Retry"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(r => Matches(r, result.Error));
            if (retrier is not null && attempts.GetValueOrDefault(retrier) < ((int?)retrier["MaxAttempts"] ?? 3))
            {
                attempts[retrier] = attempts.GetValueOrDefault(retrier) + 1;
                continue;
            }

            var catcher = (state["Catch"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => Matches(c, result.Error))
                ?? throw new InvalidOperationException($"error {result.Error} was neither retried nor caught");
            var caught = data.DeepClone();
            if ((string?)catcher["ResultPath"] is { } resultPath && resultPath.StartsWith("$.", StringComparison.Ordinal))
            {
                ((JsonObject)caught)[resultPath[2..]] = new JsonObject { ["Error"] = result.Error, ["Cause"] = result.Cause };
            }

            return ((string)catcher["Next"]!, caught);
        }
    }

    private static bool Matches(JsonObject rule, string error) =>
        ((JsonArray)rule["ErrorEquals"]!).Select(e => (string)e!).Any(e => e == error || e == "States.ALL");

    private static string Choose(JsonObject state, JsonNode data)
    {
        foreach (var choice in ((JsonArray)state["Choices"]!).OfType<JsonObject>())
        {
            var value = Select(data, (string)choice["Variable"]!);
            var taken = choice switch
            {
                _ when choice["BooleanEquals"] is { } b => value?.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False && value.GetValue<bool>() == b.GetValue<bool>(),
                _ when choice["NumericGreaterThan"] is { } n => value?.GetValueKind() == System.Text.Json.JsonValueKind.Number && value.GetValue<double>() > n.GetValue<double>(),
                _ => throw new NotSupportedException($"choice rule {choice.ToJsonString()} is not supported by this runner"),
            };
            if (taken)
            {
                return (string)choice["Next"]!;
            }
        }

        return (string?)state["Default"] ?? throw new InvalidOperationException("no choice matched and there is no Default (States.NoChoiceMatched)");
    }

    private static JsonNode Output(JsonObject state, JsonNode data) =>
        (string?)state["OutputPath"] is { } path ? Select(data, path)?.DeepClone() ?? throw new InvalidOperationException($"OutputPath {path} matches nothing") : data;

    /// <summary>"$" or "$.a.b". A path to nothing is null (a Choice on it then fails, as in Step Functions).</summary>
    public static JsonNode? Select(JsonNode data, string path)
    {
        if (path == "$")
        {
            return data;
        }

        if (!path.StartsWith("$.", StringComparison.Ordinal))
        {
            throw new NotSupportedException($"path {path} is not supported by this runner");
        }

        JsonNode? node = data;
        foreach (var part in path[2..].Split('.'))
        {
            node = node is JsonObject map ? map[part] : null;
        }

        return node;
    }
}

/// <summary>What one Task invocation came to: the function's answer, or its error (errorType) and cause (errorMessage).</summary>
internal sealed record InvokeResult(JsonNode? Payload, string? Error = null, string? Cause = null);

internal sealed record StatesOutcome(bool Succeeded, string? Error, JsonNode Output)
{
    public override string ToString() => Succeeded ? "Succeeded" : $"Failed {Error}";
}
