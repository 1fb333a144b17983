using System.Text.Json;
using AmiRotator.Configuration;
using AmiRotator.Drills;
using AmiRotator.Ec2;
using AmiRotator.Execution;
using AmiRotator.Inventory;
using AmiRotator.Invocation;
using AmiRotator.Lambda;
using AmiRotator.Preflight;
using AmiRotator.Reporting;

namespace AmiRotator;

/// <summary>
/// The function: parse the payload, run what it asks for, answer with a <see cref="Summary"/>. Settings and EC2
/// clients are built once at init. Bad input is refused before any EC2 call; a pass with failures ends as a
/// function error (so Lambda's Errors metric and retries see it) after logging the full summary.
/// </summary>
internal sealed partial class Function(Settings settings, IEc2Region source, IEc2Region? dr, TimeProvider clock, Log log) : IInvocationHandler
{
    private static readonly TimeSpan DeadlineReserve = TimeSpan.FromSeconds(5);

    /// <summary>Init: validate settings (throwing <see cref="FunctionErrorException"/> "InvalidSettings") and build the clients.</summary>
    public static Function Create(Func<string, string?> env, TimeProvider clock, Log log)
    {
        Settings settings;
        try
        {
            settings = Settings.FromEnvironment(env);
        }
        catch (SettingsException e)
        {
            throw new FunctionErrorException("InvalidSettings", e.Message);
        }

        // Clients and their rate buckets live as long as the execution environment, like EC2's own buckets.
        IEc2Region Region(string region) =>
            new PacedEc2Region(new Ec2Region(Ec2ClientFactory.Create(region, env), region, new Ec2Calls(region, settings.DeadlineSafetyMargin, clock, log)), clock, settings.CopyWriters);
        var source = Region(settings.Region);
        var dr = settings.DrRegion is { } drRegion ? Region(drRegion) : null;
        log.Info("initialised",
            ("region", settings.Region), ("drRegion", settings.DrRegion), ("backupTag", settings.BackupTag.ToString()),
            ("retention", settings.Retention.ToString()), ("drRetention", settings.DrRetention.ToString()),
            ("retentionTimeZone", settings.RetentionTimeZone.Id), ("endpoint", Ec2ClientFactory.Endpoint(env)));
        return new Function(settings, source, dr, clock, log)
        {
            Drills = dr is not null && settings.Drill is not null
                ? new Ec2Drills(Ec2ClientFactory.Create(settings.DrRegion!, env), settings.DrRegion!, new Ec2Calls(settings.DrRegion!, settings.DeadlineSafetyMargin, clock, log))
                : null,
        };
    }

    /// <summary>The restore drill's EC2 calls in the DR Region; null when drills are not configured.</summary>
    internal IDrillEc2? Drills { get; init; }

    public async Task<byte[]> HandleAsync(ReadOnlyMemory<byte> payload, InvocationContext context, CancellationToken ct)
    {
        Request request;
        try
        {
            request = RequestParser.Parse(payload.Span);
        }
        catch (InvalidRequestException e)
        {
            throw new FunctionErrorException(e.ErrorType, e.Message);
        }

        var accountId = context.AccountId
            ?? throw new FunctionErrorException("UnknownAccount", $"Cannot tell the account from the invoked function ARN '{context.FunctionArn}'; AmiRotator only touches images the account owns, so it does nothing without it.");
        log.Info("invocation", ("action", request.Kind.ToString()), ("dryRun", request.DryRun), ("instanceIds", request.InstanceIds?.Count ?? 0),
            ("records", request.Batch?.Count), ("phase", request.Phase?.ToString().ToLowerInvariant()));

        // A last resort behind the deadline safety margin: calls still running 5 s before the deadline are abandoned,
        // so the invocation always answers with what it did instead of being killed by Lambda.
        var budget = context.RemainingTime(clock) - DeadlineReserve;
        using var timer = budget < TimeSpan.FromDays(1) ? new CancellationTokenSource(budget > TimeSpan.Zero ? budget : TimeSpan.Zero, clock) : new CancellationTokenSource();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        var outer = ct;
        ct = deadline.Token;
        // Every EC2 call of this invocation retries until the deadline is near, and counts what it saw.
        var calls = Ec2CallContext.Begin(() => context.RemainingTime(clock));
        TimeSpan TimeLeft() => context.RemainingTime(clock);
        var pass = new ReconcilePass(settings, source, dr, clock, log);
        Answer answer;
        try
        {
            answer = request switch
            {
                { Kind: RequestKind.ImageEventBatch } => await OnBatchAsync(request, accountId, TimeLeft, ct).ConfigureAwait(false),
                { Phase: not null } => await OnNightPhaseAsync(request, accountId, TimeLeft, ct).ConfigureAwait(false),
                { Kind: RequestKind.Drill } => await OnDrillAsync(request, accountId, context, TimeLeft, ct).ConfigureAwait(false),
                { Kind: RequestKind.Report } => new Answer(await pass.ReportAsync(request, accountId, ct).ConfigureAwait(false)),
                { Kind: RequestKind.Preflight } => new Answer(await new PreflightCheck(settings, source, dr, clock, log).RunAsync(accountId, context.RequestId, ct).ConfigureAwait(false)),
                { Kind: RequestKind.ImageStateChange } => await OnImageStateChangeAsync(request, accountId, TimeLeft, ct).ConfigureAwait(false),
                _ => new Answer(await pass.RunAsync(request, accountId, TimeLeft, ct, context.RequestId).ConfigureAwait(false)),
            };
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !outer.IsCancellationRequested)
        {
            throw new FunctionErrorException("DeadlineReached", "The Lambda deadline came while EC2 was being read; nothing was changed. The next invocation starts again (raise the function timeout if this repeats).");
        }
        catch (DeadlineNearException e)
        {
            throw new FunctionErrorException("DeadlineReached", $"{e.Message}; nothing was changed. Lambda's retry of this event, or the next invocation, starts again.");
        }

        var summary = answer.Summary;
        var json = JsonSerializer.SerializeToUtf8Bytes(summary, JsonContext.Readable.Summary);
        log.Raw(summary.Failures.Count > 0 || summary.BudgetExceeded is not null ? "ERROR" : summary.Unfinished is not null ? "WARN" : "INFO", "summary", "summary", json);
        EmitMetrics(summary, calls, context);
        if (answer.FailedImages > 0)
        {
            log.Line(Metrics.Emf(clock.GetUtcNow(), context.FunctionName ?? "unknown", [(Metrics.ImageFailed, answer.FailedImages)]));
        }

        // The queue and the night loop read their own answers; what failed is in them, so that the rest is not retried.
        if (answer.Response is { } response)
        {
            return response;
        }

        if (summary.BudgetExceeded is not null || summary.Failures.Count > 0)
        {
            var errorType = summary.BudgetExceeded is not null ? "RetireBudgetExceeded" : summary.Action == "preflight" ? "PreflightFailed" : "PassFailed";
            throw new FunctionErrorException(errorType, FailureMessage(summary));
        }

        if (summary.Unfinished is { } unfinished)
        {
            // Nothing failed, but the deadline left work undone (a throttling storm, a large fleet). An error is the
            // only answer that makes Lambda deliver an asynchronous event again [lambda/latest/dg/invocation-retries],
            // and the next delivery carries on where this one stopped: names and ClientTokens make it safe.
            throw new FunctionErrorException("PassUnfinished",
                $"{unfinished} item(s) left for the next delivery: the Lambda deadline came first; nothing failed | {FailureMessage(summary)}");
        }

        return json;
    }

    private void EmitMetrics(Summary summary, Ec2CallContext calls, InvocationContext context)
    {
        foreach (var health in summary.DryRun ? [] : summary.Health ?? [])
        {
            log.Line(Metrics.RecoveryEmf(clock.GetUtcNow(), context.FunctionName ?? "unknown", health));
        }

        if (summary.Action is "report" or "preflight" or "drill")
        {
            return;
        }

        log.Line(Metrics.Emf(clock.GetUtcNow(), context.FunctionName ?? "unknown",
        [
            (Metrics.Failures, summary.Failures.Count),
            (Metrics.RetireBudgetExceeded, summary.BudgetExceeded is null ? 0 : 1),
            (Metrics.Created, summary.Created.Count),
            (Metrics.Copied, summary.Copied.Count),
            (Metrics.Retired, summary.Retired.Count),
            (Metrics.SnapshotsDeleted, summary.DeletedSnapshots.Count),
            (Metrics.ThrottledCalls, calls.ThrottledCalls),
            (Metrics.RetriedCalls, calls.RetriedCalls),
        ]));
    }

    private static string FailureMessage(Summary summary)
    {
        var parts = new List<string>();
        if (summary.BudgetExceeded is { } budget)
        {
            parts.Add(budget);
        }

        if (summary.Failures.Count > 0)
        {
            var shown = summary.Failures.Take(5).Select(f => $"{f.Step} {f.Subject} in {f.Region}: {f.Error}");
            parts.Add($"{summary.Failures.Count} failure(s): {string.Join("; ", shown)}{(summary.Failures.Count > 5 ? "; …" : "")}");
        }

        parts.Add(summary.Action == "preflight" && summary.Message is { } verdicts
            ? $"{verdicts} The full table is in the log"
            : $"done: {summary.Created.Count} created, {summary.Copied.Count} copied, {summary.Retired.Count} retired{(summary.DryRun ? " (dry run)" : "")}; the full summary is in the log");
        return string.Join(" | ", parts);
    }

    /// <summary>What an invocation answers: its summary, or a reply of its own (the queue's, the night loop's), and the failed images it saw.</summary>
    private sealed record Answer(Summary Summary, byte[]? Response = null, int FailedImages = 0);
}
