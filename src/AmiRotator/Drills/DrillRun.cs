using AmiRotator.Configuration;
using AmiRotator.Ec2;
using AmiRotator.Inventory;
using AmiRotator.Reporting;

namespace AmiRotator.Drills;

/// <summary>What a look at a drill left: every sampled instance's outcome, and whether the drill is still going.</summary>
internal sealed record DrillResult(string DrillId, IReadOnlyList<DrillOutcome> Outcomes, bool InProgress)
{
    public int Passed => Outcomes.Count(o => o.Status == DrillOutcome.Passed);

    public int Failed => Outcomes.Count(o => o.Status == DrillOutcome.Failed);
}

/// <summary>
/// A restore drill, the imperative shell around <see cref="DrillPlanner"/>: read, plan, act, and look again every
/// <see cref="PollInterval"/> until every sampled instance has its outcome or the invocation's time runs short. All
/// state is in EC2 (the drill instances and their tags), so a drill that outlives one invocation, or whose function
/// died, is carried on by the next invocation of the same drill; any other drill terminates its leftovers.
/// </summary>
internal sealed class DrillRun(Settings settings, IEc2Region source, IEc2Region dr, IDrillEc2 drills, TimeProvider clock, Log log)
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(15);

    public async Task<DrillResult> RunAsync(string drillId, IReadOnlyList<string>? only, string accountId, bool dryRun, Func<TimeSpan> timeLeft, CancellationToken ct)
    {
        var drill = settings.Drill!;
        var protectedInstances = await source.ListInstancesAsync(settings.BackupTag.Key, settings.BackupTag.Value, null, ct).ConfigureAwait(false);
        var instances = await drills.ListDrillInstancesAsync(ct).ConfigureAwait(false);
        var started = instances.Where(d => d.DrillId == drillId && d.Owner == settings.Owner && d.DrillOf is not null).Select(d => d.DrillOf!).Distinct(StringComparer.Ordinal);
        var sample = DrillPlanner.Sample(drill, drillId, protectedInstances, only, started);
        // Only the sample's DR copies are read, never the whole DR Region.
        var copies = sample.Count == 0 ? [] : await dr.FindImagesAsync(new ImageQuery(InstanceIds: sample), ct).ConfigureAwait(false);
        log.Info("drill", ("drillId", drillId), ("sample", string.Join(",", sample)), ("copies", copies.Count));

        while (true)
        {
            var alive = instances.Where(d => d.DrillId == drillId && d.State is "pending" or "running").Select(d => d.InstanceId).ToList();
            var health = alive.Count == 0 ? new Dictionary<string, DrillHealth>() : await drills.HealthAsync(alive, ct).ConfigureAwait(false);
            var plan = DrillPlanner.Plan(settings, drillId, clock.GetUtcNow(), protectedInstances, sample, copies, accountId, instances, health);
            if (dryRun)
            {
                return new DrillResult(drillId, plan.Outcomes, InProgress: false);
            }

            foreach (var (instanceId, result) in plan.Record)
            {
                await drills.RecordAsync(instanceId, new Dictionary<string, string> { [ManagedTags.DrillResult] = result }, ct).ConfigureAwait(false);
                log.Info("drill result", ("drillId", drillId), ("drillInstanceId", instanceId), ("result", result));
            }

            if (plan.Terminate.Count > 0)
            {
                await drills.TerminateAsync([.. plan.Terminate.Select(t => t.InstanceId)], ct).ConfigureAwait(false);
                foreach (var (instanceId, reason) in plan.Terminate)
                {
                    log.Info("drill instance terminated", ("drillInstanceId", instanceId), ("reason", reason));
                }
            }

            foreach (var (of, launch) in plan.Launch)
            {
                var id = await drills.LaunchAsync(launch, ct).ConfigureAwait(false);
                log.Info("drill instance launched", ("drillId", drillId), ("instanceId", of), ("imageId", launch.ImageId), ("drillInstanceId", id));
            }

            if (plan.Done)
            {
                return new DrillResult(drillId, plan.Outcomes, InProgress: false);
            }

            // Leave the rest to the next invocation while there is time to answer: the state is all in EC2.
            if (timeLeft() < settings.DeadlineSafetyMargin + PollInterval + PollInterval)
            {
                log.Warn("drill continues in the next invocation", ("drillId", drillId), ("running", plan.Outcomes.Count(o => o.Status == DrillOutcome.Running)));
                return new DrillResult(drillId, plan.Outcomes, InProgress: true);
            }

            await Task.Delay(PollInterval, clock, ct).ConfigureAwait(false);
            instances = await drills.ListDrillInstancesAsync(ct).ConfigureAwait(false);
        }
    }
}
