using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AmiRotator.Configuration;
using AmiRotator.Inventory;

namespace AmiRotator.Drills;

/// <summary>One sampled instance's drill: passed (with its RTO), failed (and why), or still running.</summary>
internal sealed record DrillOutcome(string InstanceId, string? ImageId, string? DrillInstanceId, string Status, double? RtoSeconds, string Reason)
{
    public const string Passed = "passed";
    public const string Failed = "failed";
    public const string Running = "running";
}

/// <summary>What one look at a drill decides. <see cref="Done"/>: every sampled instance has its outcome.</summary>
internal sealed record DrillPlan(
    IReadOnlyList<(string InstanceId, string Reason)> Terminate,
    IReadOnlyList<(string Of, DrillLaunch Launch)> Launch,
    IReadOnlyList<(string DrillInstanceId, string Result)> Record,
    IReadOnlyList<DrillOutcome> Outcomes)
{
    public bool Done => Launch.Count == 0 && Outcomes.All(o => o.Status != DrillOutcome.Running);
}

/// <summary>
/// The restore drill's decisions, pure: which instances to sample, which DR copy of each to launch, when a drill
/// instance has passed (running and both status checks ok) or failed (the timeout ran out, or it died), and which
/// drill instances to terminate. It never reads a clock: <paramref name="now"/> is given.
/// </summary>
internal static class DrillPlanner
{
    public static DrillPlan Plan(
        Settings settings,
        string drillId,
        DateTimeOffset now,
        IReadOnlyList<Ec2Instance> protectedInstances,
        IReadOnlyList<string>? only,
        IReadOnlyList<Ec2Image> drImages,
        string accountId,
        IReadOnlyList<DrillInstance> drillInstances,
        IReadOnlyDictionary<string, DrillHealth> health)
    {
        var drill = settings.Drill!;
        var terminate = new List<(string, string)>();
        var launch = new List<(string, DrillLaunch)>();
        var record = new List<(string, string)>();
        var outcomes = new List<DrillOutcome>();

        // Safety rule: a drill instance is always terminated. Any of ours from another drill that is still alive is a
        // leftover (its function died mid-drill): terminate it now, whatever it was doing.
        var ours = drillInstances.Where(d => d.Owner == settings.Owner).ToList();
        foreach (var leftover in ours.Where(d => d.DrillId != drillId && IsAlive(d.State)))
        {
            terminate.Add((leftover.InstanceId, $"leftover of drill {leftover.DrillId}: a drill instance is always terminated"));
        }

        var thisDrill = ours.Where(d => d.DrillId == drillId && d.DrillOf is not null).GroupBy(d => d.DrillOf!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(d => d.LaunchTime).ThenBy(d => d.InstanceId, StringComparer.Ordinal).First(), StringComparer.Ordinal);

        // Two drill instances of one instance in one drill (a launch whose answer was lost, where EC2 didn't honour the
        // ClientToken): the newest is judged, every other one is terminated. Found by DrillPlannerProperties.
        foreach (var duplicate in ours.Where(d => d.DrillId == drillId && IsAlive(d.State) && (d.DrillOf is null || thisDrill[d.DrillOf].InstanceId != d.InstanceId)))
        {
            terminate.Add((duplicate.InstanceId, "a second drill instance of the same instance in this drill"));
        }
        foreach (var instanceId in Sample(drill, drillId, protectedInstances, only, thisDrill.Keys))
        {
            if (thisDrill.TryGetValue(instanceId, out var running))
            {
                outcomes.Add(Judge(drill, now, running, health.GetValueOrDefault(running.InstanceId), terminate, record));
                continue;
            }

            var copy = drImages
                .Where(i => i.IsManaged && i.IsAvailable && i.OwnerId == accountId && i.Owner == settings.Owner && i.InstanceId == instanceId)
                .OrderByDescending(i => i.BackupTime).ThenBy(i => i.ImageId, StringComparer.Ordinal).FirstOrDefault();
            if (copy is null)
            {
                outcomes.Add(new DrillOutcome(instanceId, null, null, DrillOutcome.Failed, null, $"no available DR copy in {settings.DrRegion} to restore from"));
                continue;
            }

            launch.Add((instanceId, new DrillLaunch(copy.ImageId, drill.InstanceType, drill.SubnetId, drill.SecurityGroupId, ClientToken(drillId, instanceId), new Dictionary<string, string>
            {
                [ManagedTags.Drill] = drillId,
                [ManagedTags.DrillOf] = instanceId,
                [ManagedTags.Owner] = settings.Owner,
                [ManagedTags.Name] = $"ami-rotator-drill-{instanceId}",
            })));
            outcomes.Add(new DrillOutcome(instanceId, copy.ImageId, null, DrillOutcome.Running, null, $"launching the newest DR copy {copy.ImageId} ({Iso8601.Seconds(copy.BackupTime)})"));
        }

        return new DrillPlan(terminate, launch, record, outcomes);
    }

    /// <summary>The result tag's text, and back: "passed rto=83", "failed: why".</summary>
    public static string PassedTag(double rto) => string.Create(CultureInfo.InvariantCulture, $"passed rto={rto:0}");

    public static string FailedTag(string why) => $"failed: {why}"[..Math.Min(256, why.Length + 8)];

    private static DrillOutcome Judge(DrillSettings drill, DateTimeOffset now, DrillInstance instance, DrillHealth? health, List<(string, string)> terminate, List<(string, string)> record)
    {
        if (instance.Result is { } result)
        {
            // Judged by an earlier look (maybe by an invocation that died before terminating it): keep its verdict.
            if (IsAlive(instance.State))
            {
                terminate.Add((instance.InstanceId, "drill done"));
            }

            return result.StartsWith(DrillOutcome.Passed, StringComparison.Ordinal)
                ? new DrillOutcome(instance.DrillOf!, instance.ImageId, instance.InstanceId, DrillOutcome.Passed, ParseRto(result), "booted from the DR copy: running, status checks passed")
                : new DrillOutcome(instance.DrillOf!, instance.ImageId, instance.InstanceId, DrillOutcome.Failed, null, result.StartsWith("failed: ", StringComparison.Ordinal) ? result[8..] : result);
        }

        var elapsed = (now - instance.LaunchTime).TotalSeconds;
        string? verdict = null;
        DrillOutcome outcome;
        if (health?.Healthy == true)
        {
            verdict = PassedTag(elapsed);
            outcome = new DrillOutcome(instance.DrillOf!, instance.ImageId, instance.InstanceId, DrillOutcome.Passed, Math.Round(elapsed), "booted from the DR copy: running, status checks passed");
        }
        else if (!IsAlive(instance.State) || instance.State == "stopped")
        {
            var why = $"the drill instance is {instance.State} before its status checks passed";
            verdict = FailedTag(why);
            outcome = new DrillOutcome(instance.DrillOf!, instance.ImageId, instance.InstanceId, DrillOutcome.Failed, null, why);
        }
        else if (elapsed > drill.Timeout.TotalSeconds)
        {
            var why = $"not running with both status checks passed {drill.Timeout.TotalMinutes:0} min after launch (state {health?.State ?? instance.State}, instance check {health?.InstanceStatus ?? "unknown"}, system check {health?.SystemStatus ?? "unknown"})";
            verdict = FailedTag(why);
            outcome = new DrillOutcome(instance.DrillOf!, instance.ImageId, instance.InstanceId, DrillOutcome.Failed, null, why);
        }
        else
        {
            return new DrillOutcome(instance.DrillOf!, instance.ImageId, instance.InstanceId, DrillOutcome.Running, null,
                $"waiting for running and status checks ({elapsed:0}s of {drill.Timeout.TotalSeconds:0}s; state {health?.State ?? instance.State})");
        }

        record.Add((instance.InstanceId, verdict));
        if (IsAlive(instance.State))
        {
            terminate.Add((instance.InstanceId, "drill done"));
        }

        return outcome;
    }

    /// <summary>
    /// The instances this drill restores: those it already launched, then DRILL_SAMPLE more of the protected ones (or
    /// of those carrying DRILL_TAG, or those the request names), in an order fixed by the drill id, so every look at
    /// the same drill picks the same ones and every drill a different few.
    /// </summary>
    public static IReadOnlyList<string> Sample(DrillSettings drill, string drillId, IReadOnlyList<Ec2Instance> protectedInstances, IReadOnlyList<string>? only, IEnumerable<string> started) =>
        [.. SampleOrder(drill, drillId, protectedInstances, only, started)];

    private static IEnumerable<string> SampleOrder(DrillSettings drill, string drillId, IReadOnlyList<Ec2Instance> protectedInstances, IReadOnlyList<string>? only, IEnumerable<string> started)
    {
        var startedSet = started.ToHashSet(StringComparer.Ordinal);
        var candidates = protectedInstances
            .Where(i => only is null || only.Contains(i.InstanceId))
            .Where(i => drill.Tag is not { } tag || i.Tags.GetValueOrDefault(tag.Key) == tag.Value)
            .Select(i => i.InstanceId)
            .Where(id => !startedSet.Contains(id))
            .OrderBy(id => ClientToken(drillId, id), StringComparer.Ordinal);
        var wanted = only?.Count ?? drill.Sample;
        return startedSet.Order(StringComparer.Ordinal).Concat(candidates.Take(Math.Max(0, wanted - startedSet.Count)));
    }

    private static bool IsAlive(string state) => state is "pending" or "running" or "stopping" or "stopped";

    private static double? ParseRto(string result) =>
        result.Split("rto=") is [_, var n] && double.TryParse(n, NumberStyles.Float, CultureInfo.InvariantCulture, out var rto) ? rto : null;

    // At most 64 ASCII characters [Run_Instance_Idempotency]; the same drill and instance always make the same token.
    private static string ClientToken(string drillId, string instanceId) =>
        "drill-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{drillId}/{instanceId}")))[..40];
}
