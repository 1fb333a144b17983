using System.Text.Json;
using AmiRotator.Execution;
using AmiRotator.Invocation;
using AmiRotator.Reporting;

namespace AmiRotator;

/// <summary>
/// The night loop's answers. Step Functions keeps a state's data under 256 KiB [step-functions/latest/dg/limits-overview],
/// so the loop gets a compact answer (counts, and the next input) and the full summary goes to the log.
/// </summary>
internal sealed partial class Function
{
    private async Task<Answer> OnNightPhaseAsync(Request request, string accountId, Func<TimeSpan> timeLeft, CancellationToken ct)
    {
        var step = await new NightStep(settings, source, dr, clock, log).RunAsync(request, accountId, timeLeft, ct).ConfigureAwait(false);
        var summary = step.Pass.Summary with
        {
            Action = "run",
            Message = $"night step {NightStep.Name(step.Phase)}: {(step.Next is { } next ? $"next {NightStep.Name(next)} in {step.Wait.TotalSeconds:0}s" : "the night is done")}" +
                      $"{(step.Pass.Summary.Message is { } note ? $" ({note})" : "")}",
        };
        log.Info("night step", ("phase", NightStep.Name(step.Phase)), ("next", step.Next is { } n ? NightStep.Name(n) : null), ("waitSeconds", (int)step.Wait.TotalSeconds),
            ("failuresTonight", step.FailuresTonight), ("copiesWaiting", step.Pass.CopiesWaiting.Count), ("deferred", step.Pass.Deferred.Count));
        return new Answer(summary, NightResponse(request, step, summary));
    }

    /// <summary>
    /// {"moreWork", "waitSeconds", "next" (the next invocation's input), "failuresTonight", and counts}. The loop waits
    /// waitSeconds and invokes with next while moreWork; at the end it fails if failuresTonight is above zero.
    /// </summary>
    internal static byte[] NightResponse(Request request, NightStepResult step, Summary summary)
    {
        var scheduled = Iso8601.Seconds(request.ScheduledTime!.Value);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("action", "run");
            json.WriteString("phase", NightStep.Name(step.Phase));
            json.WriteString("scheduledTime", scheduled);
            json.WriteBoolean("moreWork", step.Next is not null);
            json.WriteNumber("waitSeconds", (int)step.Wait.TotalSeconds);
            if (step.Next is { } next)
            {
                json.WriteStartObject("next");
                json.WriteString("action", "run");
                json.WriteString("scheduledTime", scheduled);
                json.WriteString("phase", NightStep.Name(next));
                json.WriteNumber("failuresSoFar", step.FailuresTonight);
                json.WriteEndObject();
            }

            json.WriteNumber("failuresTonight", step.FailuresTonight);
            json.WriteNumber("created", summary.Created.Count);
            json.WriteNumber("copied", summary.Copied.Count);
            json.WriteNumber("retired", summary.Retired.Count);
            json.WriteNumber("failures", summary.Failures.Count);
            json.WriteNumber("unfinished", summary.Unfinished ?? 0);
            json.WriteNumber("copiesWaiting", step.Pass.CopiesWaiting.Count);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
