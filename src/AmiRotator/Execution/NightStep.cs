using Amazon.Runtime;
using AmiRotator.Configuration;
using AmiRotator.Ec2;
using AmiRotator.Invocation;
using AmiRotator.Planning;
using AmiRotator.Reporting;

namespace AmiRotator.Execution;

/// <summary>
/// One step of a night that outgrows one invocation, run by the Step Functions loop in template.yaml. The loop only
/// invokes, waits and invokes again with what this answers; every decision is made here. A night goes through:
/// <list type="number">
/// <item><b>backup</b>: the tagged instances and this scheduled time's backups (one filtered DescribeImages), then
/// CreateImage at EC2's pace, invocation after invocation until every instance has its backup;</item>
/// <item><b>copy</b>: this scheduled time's backups and their copies, then CopyImage within this invocation's share of
/// the copy slots, again after a wait while a backup is still pending or a slot is missing;</item>
/// <item><b>prune</b>: the whole pass over a full read (retention, the orphan sweep, any copy still missing), once.</item>
/// </list>
/// A step never fails the loop for an item: failures are counted and carried to the end, where the loop fails if
/// there were any. Past <see cref="Settings.NightLength"/> after the scheduled time, whatever is left waits for the next night.
/// </summary>
internal sealed class NightStep(Settings settings, IEc2Region source, IEc2Region? dr, TimeProvider clock, Log log)
{
    /// <summary>How long the loop waits before looking again at backups still pending (EC2 takes minutes to make one).</summary>
    public static readonly TimeSpan CopyWait = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long it waits when copies wait only for a slot: a slot frees when a copy in flight completes, which takes
    /// minutes to hours; looking every minute would read EC2 a hundred times for nothing.
    /// </summary>
    public static readonly TimeSpan SlotWait = TimeSpan.FromMinutes(10);

    /// <summary>After a step that ran out of time reading EC2 (throttled), a short breather before trying again.</summary>
    public static readonly TimeSpan ThrottledWait = TimeSpan.FromSeconds(30);

    public async Task<NightStepResult> RunAsync(Request request, string accountId, Func<TimeSpan> timeLeft, CancellationToken ct)
    {
        var phase = request.Phase!.Value;
        var time = request.ScheduledTime!.Value;
        var now = clock.GetUtcNow();
        var late = now - time > settings.NightLength;
        var pass = new ReconcilePass(settings, source, dr, clock, log);
        PassResult result;
        bool again;
        var wait = TimeSpan.Zero;
        try
        {
            switch (phase)
            {
                case NightPhase.Backup:
                    result = await pass.PlanAndExecuteAsync(
                        await TargetedReads.ForBackupsAsync(settings, source, accountId, time, ct).ConfigureAwait(false),
                        new PassScope(Backup: true, Copy: false, Prune: false, now, time), "run", dryRun: false, timeLeft, ct).ConfigureAwait(false);
                    again = result.Deferred.Count > 0;
                    break;
                case NightPhase.Copy when dr is not null:
                    result = await pass.PlanAndExecuteAsync(
                        await TargetedReads.ForTonightsCopiesAsync(settings, source, dr, accountId, time, ct).ConfigureAwait(false),
                        new PassScope(Backup: false, Copy: true, Prune: false, now, time), "run", dryRun: false, timeLeft, ct).ConfigureAwait(false);
                    again = result.Deferred.Count > 0 || result.CopiesWaiting.Count > 0;
                    wait = result.CopiesWaiting.Count == 0 ? TimeSpan.Zero : result.SourcesPending > 0 ? CopyWait : SlotWait;
                    break;
                case NightPhase.Copy:
                    result = Nothing(time, "DR_REGION is empty; no copies are made");
                    again = false;
                    break;
                default:
                    result = await pass.RunForResultAsync(new Request(RequestKind.Run, DryRun: false, ScheduledTime: time), accountId, timeLeft, ct).ConfigureAwait(false);
                    again = result.Deferred.Count > 0;
                    break;
            }
        }
        catch (DeadlineNearException e)
        {
            log.Warn("night step ran out of time reading EC2; the loop tries again", ("phase", Name(phase)), ("error", e.Message));
            result = Nothing(time, $"{e.Message}; nothing was changed, the loop tries again");
            again = true;
            wait = ThrottledWait;
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException)
        {
            // A targeted read that fails for good (an IAM denial, say) fails only this step: the night goes on with the next.
            var error = e is AmazonServiceException { ErrorCode: { } code } ? $"{code}: {e.Message}" : e.Message;
            log.Error("night step could not read EC2; going on with the next step", ("phase", Name(phase)), ("error", error));
            result = Nothing(time, null, new FailureEntry(Name(phase), settings.Region, null, "read", $"{error}; this step's work waits for the next night"));
            again = false;
        }

        if (again && late)
        {
            log.Warn("night is over; what is left waits for the next night", ("phase", Name(phase)), ("scheduledTime", Iso8601.Seconds(time)), ("nightHours", settings.NightHours));
            again = false;
        }

        var next = again ? phase : Next(phase);
        var failuresTonight = request.FailuresSoFar + result.Summary.Failures.Count;
        return new NightStepResult(result, phase, next, again ? wait : TimeSpan.Zero, failuresTonight);
    }

    public static string Name(NightPhase phase) => phase.ToString().ToLowerInvariant();

    private NightPhase? Next(NightPhase phase) => phase switch
    {
        NightPhase.Backup => dr is not null ? NightPhase.Copy : NightPhase.Prune,
        NightPhase.Copy => NightPhase.Prune,
        _ => null,
    };

    private PassResult Nothing(DateTimeOffset time, string? note, FailureEntry? failure = null) => new(
        new Summary("run", false, settings.Region, settings.DrRegion, BackupNaming.TimeTag(time), [], [], [], [], [], [], failure is null ? [] : [failure], Message: note), [], []);
}

/// <summary>A night step's outcome, and where the loop goes next (<see cref="Next"/> null: the night is done).</summary>
internal sealed record NightStepResult(PassResult Pass, NightPhase Phase, NightPhase? Next, TimeSpan Wait, int FailuresTonight);
