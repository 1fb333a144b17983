using System.Text.Json;
using AmiRotator.Drills;
using AmiRotator.Invocation;
using AmiRotator.Lambda;
using AmiRotator.Planning;
using AmiRotator.Reporting;

namespace AmiRotator;

/// <summary>
/// The <c>drill</c> action: a restore drill, run by the same Step Functions loop as a night (the drill schedule
/// starts it), so a drill that outlives one invocation goes on in the next: the answer says <c>inProgress</c>,
/// <c>moreWork</c>, <c>waitSeconds</c> and the <c>next</c> input, and counts the drill's failures in
/// <c>failuresTonight</c>, which fails the loop's execution (the NightFailed alarm).
/// </summary>
internal sealed partial class Function
{
    private async Task<Answer> OnDrillAsync(Request request, string accountId, InvocationContext context, Func<TimeSpan> timeLeft, CancellationToken ct)
    {
        if (Drills is null || dr is null || settings.Drill is null)
        {
            throw new FunctionErrorException("DrillNotConfigured",
                "Restore drills need DR_REGION, DRILL_SUBNET_ID and DRILL_SECURITY_GROUP_ID (stack parameters DrRegion, DrillSubnetId, DrillSecurityGroupId): a subnet and security group in the DR Region to boot the copies in. Nothing was changed.");
        }

        // The drill is named by its scheduled time (or, run by hand, the minute it started): every invocation of the
        // same drill finds its own instances by that name.
        var time = request.ScheduledTime ?? new DateTimeOffset(clock.GetUtcNow().Ticks / TimeSpan.TicksPerMinute * TimeSpan.TicksPerMinute, TimeSpan.Zero);
        var drillId = BackupNaming.TimeTag(time);
        var result = await new DrillRun(settings, source, dr, Drills, clock, log).RunAsync(drillId, request.InstanceIds, accountId, request.DryRun, timeLeft, ct).ConfigureAwait(false);

        var failures = result.Outcomes.Where(o => o.Status == DrillOutcome.Failed)
            .Select(o => new FailureEntry(o.InstanceId, Drills.Region, o.InstanceId, "drill", o.Reason)).ToList();
        var summary = new Summary("drill", request.DryRun, settings.Region, settings.DrRegion, Iso8601.Seconds(time), [], [], [], [], [], [],
            result.InProgress ? [] : failures,
            Message: result.InProgress ? $"drill {drillId} in progress" : $"drill {drillId}: {result.Passed} passed, {result.Failed} failed");
        log.Info("drill summary", ("drillId", drillId), ("inProgress", result.InProgress), ("passed", result.Passed), ("failed", result.Failed));
        if (!result.InProgress && !request.DryRun)
        {
            var rto = result.Outcomes.Where(o => o.RtoSeconds is not null).Select(o => o.RtoSeconds!.Value).DefaultIfEmpty(0).Max();
            log.Line(Metrics.Emf(clock.GetUtcNow(), context.FunctionName ?? "unknown",
                [(Metrics.DrillsPassed, result.Passed), (Metrics.DrillsFailed, result.Failed), (Metrics.DrillRtoSeconds, rto)]));
        }

        return new Answer(summary, DrillResponse(time, request.DryRun, result));
    }

    /// <summary>The drill's answer: in the night loop's contract, with each sampled instance's outcome.</summary>
    internal static byte[] DrillResponse(DateTimeOffset time, bool dryRun, DrillResult result)
    {
        var scheduled = Iso8601.Seconds(time);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("action", "drill");
            json.WriteString("scheduledTime", scheduled);
            json.WriteString("drillId", result.DrillId);
            json.WriteBoolean("dryRun", dryRun);
            json.WriteBoolean("inProgress", result.InProgress);
            json.WriteBoolean("moreWork", result.InProgress);
            json.WriteNumber("waitSeconds", result.InProgress ? (int)DrillRun.PollInterval.TotalSeconds : 0);
            if (result.InProgress)
            {
                json.WriteStartObject("next");
                json.WriteString("action", "drill");
                json.WriteString("scheduledTime", scheduled);
                json.WriteEndObject();
            }

            json.WriteNumber("failuresTonight", result.InProgress ? 0 : result.Failed);
            json.WriteNumber("passed", result.Passed);
            json.WriteNumber("failed", result.Failed);
            json.WriteStartArray("results");
            foreach (var o in result.Outcomes)
            {
                json.WriteStartObject();
                json.WriteString("instanceId", o.InstanceId);
                json.WriteString("imageId", o.ImageId);
                json.WriteString("drillInstanceId", o.DrillInstanceId);
                json.WriteString("result", o.Status);
                if (o.RtoSeconds is { } rto)
                {
                    json.WriteNumber("rtoSeconds", rto);
                }

                json.WriteString("reason", o.Reason);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
