using AmiRotator.Configuration;
using AmiRotator.Ec2;
using AmiRotator.Inventory;
using AmiRotator.Invocation;
using AmiRotator.Planning;
using AmiRotator.Reporting;

namespace AmiRotator.Execution;

/// <summary>
/// One pass: read the inventory, plan (twice: the second time knowing what still uses the retirement
/// candidates), then either report the plan (dry run) or execute it. This is the only place the steps are wired.
/// </summary>
internal sealed class ReconcilePass(Settings settings, IEc2Region source, IEc2Region? dr, TimeProvider clock, Log log)
{
    public async Task<Summary> RunAsync(Request request, string accountId, Func<TimeSpan> timeLeft, CancellationToken ct, string? requestId = null) =>
        (await RunForResultAsync(request, accountId, timeLeft, ct, requestId).ConfigureAwait(false)).Summary;

    /// <summary>The pass a request asks for, over a full read of EC2, with what it left undone.</summary>
    public async Task<PassResult> RunForResultAsync(Request request, string accountId, Func<TimeSpan> timeLeft, CancellationToken ct, string? requestId = null)
    {
        var now = clock.GetUtcNow();
        var scope = ScopeFor(request, now) with { RequestId = requestId, IdempotencyToken = request.IdempotencyToken };
        var onDemand = scope.OnDemand;
        var needs = new ReadNeeds(
            Instances: scope.Backup || scope.Prune || scope.Copy,
            Snapshots: scope.Prune,
            Dr: settings.DrRegion is not null && (scope.Copy || scope.Prune),
            // An AMI event still reads every source backup: whether the image belongs in the DR Region depends on
            // its siblings (DR retention over the instance's backups).
            InstanceIds: onDemand ? request.InstanceIds : null);

        var inventory = await InventoryReader.ReadAsync(settings, source, dr, accountId, needs, log, ct).ConfigureAwait(false);
        var result = await PlanAndExecuteAsync(inventory, scope, ActionName(request), request.DryRun, timeLeft, ct).ConfigureAwait(false);

        // A whole pass read every protected instance and both Regions' backups: their recovery health comes with it.
        return scope is { Backup: true, Copy: true, Prune: true, InstanceIds: null }
            ? result with { Summary = result.Summary with { Health = RecoveryReport.Health(settings, inventory, RecoveryReport.Build(settings, inventory, null, now)) } }
            : result;
    }

    /// <summary>
    /// Plans over an inventory already read (in full, or only what a targeted read names: then the scope must be one
    /// its steps can judge from that), checks what uses the retirement candidates, and executes unless a dry run.
    /// </summary>
    public async Task<PassResult> PlanAndExecuteAsync(Inventory.Inventory inventory, PassScope scope, string action, bool dryRun, Func<TimeSpan> timeLeft, CancellationToken ct)
    {
        log.Info("inventory read",
            ("instances", inventory.Instances.Count),
            ("sourceImages", inventory.Source.Images.Count),
            ("drImages", inventory.Dr?.Images.Count ?? 0),
            ("managedSnapshots", inventory.Source.ManagedSnapshots.Count + (inventory.Dr?.ManagedSnapshots.Count ?? 0)));

        var plan = Planner.Build(settings, inventory, scope, references: null);
        var referenceFailures = new List<FailureEntry>();
        var referenceSkips = new List<SkipEntry>();
        if (plan.Candidates.Count > 0)
        {
            plan = Planner.Build(settings, inventory, scope, await CheckReferencesAsync(plan, referenceFailures, referenceSkips, timeLeft, ct).ConfigureAwait(false));
        }

        LogPlan(plan);
        var scheduled = scope.ScheduledTime is { } t ? BackupNaming.TimeTag(t) : null;
        var kept = plan.Kept.Select(k => new ImageEntry(k.ImageId, k.Region, k.InstanceId, CreationDate: Iso8601.Seconds(k.CreationDate), Reasons: k.Reasons)).ToList();
        var planFailures = ReadFailures(inventory, null)
            .Concat(plan.Failures.Select(f => new FailureEntry(f.Subject, f.Region, f.InstanceId, "plan", f.Error)))
            .Concat(referenceFailures).ToList();
        var planSkips = plan.Skipped.Select(s => new SkipEntry(s.Subject, s.Region, s.InstanceId, s.Reason)).Concat(referenceSkips).ToList();

        if (dryRun)
        {
            return new PassResult(new Summary(
                action, DryRun: true, settings.Region, settings.DrRegion, scheduled,
                Created: [.. plan.Backups.Select(b => new ImageEntry(null, source.Region, b.InstanceId, b.Name, Reasons: [b.Reason]))],
                Copied: [.. plan.Copies.Select(c => new ImageEntry(null, c.DestinationRegion, c.InstanceId, c.Name, c.SourceImageId, c.SourceRegion, Reasons: [c.Reason]))],
                Retired: [.. plan.Retirements.Select(r => new ImageEntry(r.ImageId, r.Region, r.InstanceId, r.Name, CreationDate: Iso8601.Seconds(r.CreationDate), Reasons: r.Reasons))],
                DeletedSnapshots: [.. plan.Retirements.SelectMany(r => r.SnapshotIds.Select(s => new SnapshotEntry(s, r.Region, r.ImageId, r.InstanceId, "deleted with its image unless another image, or one in the Recycle Bin, needs it")))
                    .Concat(plan.SnapshotDeletions.Select(s => new SnapshotEntry(s.SnapshotId, s.Region, null, s.InstanceId, s.Reason)))],
                Kept: Summary.Cap(kept),
                Skipped: planSkips,
                Failures: planFailures,
                BudgetExceeded: plan.BudgetExceeded,
                KeptTotal: kept.Count,
                Adopted: [.. plan.Adoptions.Select(a => new ImageEntry(a.Subject, a.Region, a.InstanceId, Reasons: [a.Reason]))],
                Locked: plan.Locks is { Count: > 0 } locks ? [.. locks.Select(l => new SnapshotEntry(l.SnapshotId, l.Region, l.ImageId, l.InstanceId, l.Reason))] : null,
                Deprecated: plan.Deprecations is { Count: > 0 } deprecations ? [.. deprecations.Select(d => new ImageEntry(d.ImageId, d.Region, d.InstanceId, Reasons: [d.Reason]))] : null), [], plan.CopiesWaiting ?? [], plan.SourcesPending?.Count ?? 0);
        }

        var outcome = await new Executor(settings, source, dr, timeLeft, log).ExecuteAsync(plan, ct).ConfigureAwait(false);
        var summary = new Summary(
            action, DryRun: false, settings.Region, settings.DrRegion, scheduled,
            outcome.Created, outcome.Copied, outcome.Retired, outcome.DeletedSnapshots,
            Summary.Cap(kept),
            [.. planSkips, .. outcome.Skipped],
            [.. planFailures, .. outcome.Failures],
            plan.BudgetExceeded,
            KeptTotal: kept.Count,
            Adopted: outcome.Adopted,
            Locked: outcome.Locked is { Count: > 0 } locked ? locked : null,
            Deprecated: outcome.Deprecated is { Count: > 0 } deprecated ? deprecated : null,
            // Work the deadline left undone (including in-use checks given up at it): the function asks for another delivery.
            Unfinished: outcome.Deferred + referenceSkips.Count is var unfinished and > 0 ? unfinished : null);
        return new PassResult(summary, [.. outcome.DeferredSubjects ?? [], .. referenceSkips.Select(s => s.Subject)], plan.CopiesWaiting ?? [], plan.SourcesPending?.Count ?? 0);
    }

    /// <summary>The <c>report</c> action: every protected instance's newest available backup in each Region.</summary>
    public async Task<Summary> ReportAsync(Request request, string accountId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var needs = new ReadNeeds(Instances: true, Snapshots: false, Dr: settings.DrRegion is not null);
        var inventory = await InventoryReader.ReadAsync(settings, source, dr, accountId, needs, log, ct).ConfigureAwait(false);
        var points = RecoveryReport.Build(settings, inventory, request.InstanceIds, now);
        var stale = points.Count(p => p.Stale);
        var message = $"{stale} of {points.Count} recovery points are older than RPO_HOURS={settings.RpoHours} or missing.";
        log.Info("recovery report", ("recoveryPoints", points.Count), ("stale", stale));
        // A Region that could not be read shows its recovery points as missing; the failure says why.
        var failures = ReadFailures(inventory, "the recovery points there are shown as missing");
        return new Summary("report", false, settings.Region, settings.DrRegion, null, [], [], [], [], [], [], failures, RecoveryPoints: points, Message: message,
            // The report's points are every protected instance's when it names none: the same ones the health needs.
            Health: request.InstanceIds is null ? RecoveryReport.Health(settings, inventory, points) : null);
    }

    /// <summary>One failure per listing that could not be read, saying what waits for it.</summary>
    private static List<FailureEntry> ReadFailures(Inventory.Inventory inventory, string? consequence) =>
        [.. (inventory.Unread ?? []).Select(u => new FailureEntry(u.Call, u.Region, null, "read",
            $"{u.Error}; {consequence ?? Planner.WhatWaits(u.Part)}. The rest of the pass went on."))];

    private async Task<ImageReferences> CheckReferencesAsync(Plan plan, List<FailureEntry> failures, List<SkipEntry> skips, Func<TimeSpan> timeLeft, CancellationToken ct)
    {
        var checkedIds = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        string? unavailable = null;
        foreach (var group in plan.Candidates.GroupBy(c => c.Region, StringComparer.Ordinal))
        {
            var region = group.Key == source.Region ? source : dr!;
            try
            {
                var found = await region.FindReferencesAsync([.. group.Select(c => c.ImageId)], ct).ConfigureAwait(false);
                foreach (var (id, arns) in found)
                {
                    checkedIds[id] = arns;
                }
            }
            catch (Exception e) when (e is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException
                                           or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // Without an answer every candidate counts as in use: keeping an image costs cents, losing one costs a restore.
                unavailable = $"DescribeImageReferences failed in {group.Key}: {e.Message}";
                log.Warn("in-use check unavailable; candidates kept", ("region", group.Key), ("error", e.Message));
                if (Ec2Calls.GaveUpAtDeadline(e, timeLeft(), settings.DeadlineSafetyMargin, ct))
                {
                    // Retried until the deadline neared (throttling, 5xx): the next pass checks again; nothing is wrong.
                    skips.Add(new SkipEntry("DescribeImageReferences", group.Key, null,
                        $"in-use check still throttled or failing ({e.Message}) as the deadline neared; {group.Count()} retirement candidate(s) kept for the next pass"));
                    continue;
                }

                // It is also a failure: a check that never works would otherwise stop all retirement silently.
                failures.Add(new FailureEntry("DescribeImageReferences", group.Key, null, "check-references",
                    $"{e.Message}; {group.Count()} retirement candidate(s) kept until the in-use check works (is ec2:DescribeImageReferences allowed?)"));
            }
        }

        return new ImageReferences(checkedIds, unavailable);
    }

    private void LogPlan(Plan plan)
    {
        foreach (var k in plan.Kept)
        {
            log.Info("keep", ("imageId", k.ImageId), ("region", k.Region), ("instanceId", k.InstanceId), ("reasons", k.Reasons));
        }

        foreach (var r in plan.Retirements)
        {
            log.Info("retire", ("imageId", r.ImageId), ("region", r.Region), ("instanceId", r.InstanceId), ("reasons", r.Reasons));
        }

        if (plan.BudgetExceeded is { } budget)
        {
            log.Error("deletion budget exceeded", ("detail", budget));
        }

        log.Info("plan",
            ("backups", plan.Backups.Count), ("copies", plan.Copies.Count), ("retirements", plan.Retirements.Count),
            ("orphanSnapshots", plan.SnapshotDeletions.Count), ("kept", plan.Kept.Count), ("skipped", plan.Skipped.Count), ("failures", plan.Failures.Count));
    }

    private static PassScope ScopeFor(Request request, DateTimeOffset now)
    {
        IReadOnlySet<string>? ids = request.InstanceIds is null ? null : request.InstanceIds.ToHashSet(StringComparer.Ordinal);
        return request.Kind switch
        {
            // A run without a scheduled time is a manual one: named like an on-demand backup, and held back within the manual-run window.
            RequestKind.Run => new PassScope(true, true, true, now, request.ScheduledTime, ids),
            RequestKind.Backup => new PassScope(true, false, false, now, null, ids),
            RequestKind.Copy => new PassScope(false, true, false, now, null, ids),
            RequestKind.Prune => new PassScope(false, false, true, now, null, ids),
            RequestKind.ImageStateChange => new PassScope(false, true, false, now, null, null, new HashSet<string>(StringComparer.Ordinal) { request.ImageEvent!.ImageId }),
            _ => throw new ArgumentOutOfRangeException(nameof(request), request.Kind, "not a pass"),
        };
    }

    private static string ActionName(Request request) => request.Kind switch
    {
        RequestKind.ImageStateChange => "image-state-change",
        _ => request.Kind.ToString().ToLowerInvariant(),
    };

}

/// <summary>
/// A pass's summary, the subjects (instances, images) the deadline left for the next pass, and the source backups
/// whose DR copy waits (for the source to become available, or for a copy slot).
/// </summary>
internal sealed record PassResult(Summary Summary, IReadOnlyList<string> Deferred, IReadOnlyList<string> CopiesWaiting, int SourcesPending = 0);
