using AmiRotator.Configuration;
using AmiRotator.Drills;
using AmiRotator.Inventory;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace AmiRotator.Tests.Drills;

/// <summary>
/// The drill's safety rules over generated worlds (drill instances of this drill, of earlier drills and of other
/// stacks, in every state, with and without results and health): a drill instance is always terminated once judged,
/// a leftover of another drill is always terminated, another stack's instance never is, nothing is launched twice,
/// and a drill is done only when every sampled instance has its outcome.
/// </summary>
public sealed class DrillPlannerProperties
{
    private const string Me = "ami-rotator";
    private const string DrillId = "2026-12-01T04:00:00Z";
    private const string Account = "123456789012";
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 4, 30, 0, TimeSpan.Zero);
    private static readonly string[] States = ["pending", "running", "stopping", "stopped", "shutting-down", "terminated"];

    private static readonly Settings Settings = AmiRotator.Configuration.Settings.FromEnvironment(name => name switch
    {
        "AWS_REGION" => "us-east-1",
        "DR_REGION" => "us-west-2",
        "OWNER" => Me,
        "DRILL_SUBNET_ID" => "subnet-0123456789abcdef0",
        "DRILL_SECURITY_GROUP_ID" => "sg-0123456789abcdef0",
        "DRILL_SAMPLE" => "3",
        _ => null,
    });

    [Property(MaxTest = 500)]
    public Property Plan_KeepsTheDrillSafetyRules() => Prop.ForAll(Worlds().ToArbitrary(), world =>
    {
        var (instances, copies, drills, health) = world;
        var plan = DrillPlanner.Plan(Settings, DrillId, Now, instances, null, copies, Account, drills, health);
        var terminated = plan.Terminate.Select(t => t.InstanceId).ToHashSet(StringComparer.Ordinal);
        var alive = new[] { "pending", "running", "stopping", "stopped" };

        // Leftovers of other drills: always terminated. Another stack's instances: never touched.
        Assert.All(drills.Where(d => d.Owner == Me && d.DrillId != DrillId && alive.Contains(d.State)), d => Assert.Contains(d.InstanceId, terminated));
        Assert.All(drills.Where(d => d.Owner != Me), d => Assert.DoesNotContain(d.InstanceId, terminated));

        // Judged (now or earlier) and still alive: terminated in the same look.
        var judgedNow = plan.Record.Select(r => r.DrillInstanceId).ToHashSet(StringComparer.Ordinal);
        Assert.All(drills.Where(d => d.Owner == Me && d.DrillId == DrillId && alive.Contains(d.State) && (d.Result is not null || judgedNow.Contains(d.InstanceId))), d => Assert.Contains(d.InstanceId, terminated));

        // Never a second launch for an instance this drill already launched; never more than the sample.
        var started = drills.Where(d => d.Owner == Me && d.DrillId == DrillId).Select(d => d.DrillOf).ToHashSet(StringComparer.Ordinal);
        Assert.All(plan.Launch, l => Assert.DoesNotContain(l.Of, started));
        Assert.True(plan.Outcomes.Count <= Math.Max(Settings.Drill!.Sample, started.Count));

        // Only our own, available copies are launched.
        Assert.All(plan.Launch, l => Assert.Contains(copies, c => c.ImageId == l.Launch.ImageId && c.IsAvailable && c.Owner == Me && c.InstanceId == l.Of));

        // Done means: nothing to launch and no outcome still running; a passed drill has its RTO.
        Assert.Equal(plan.Launch.Count == 0 && plan.Outcomes.All(o => o.Status != DrillOutcome.Running), plan.Done);
        Assert.All(plan.Outcomes.Where(o => o.Status == DrillOutcome.Passed), o => Assert.NotNull(o.RtoSeconds));
        return true;
    });

    [Fact]
    public void Plan_WhenARunningDrillInstanceOutlivesTheTimeout_FailsItAndTerminatesIt()
    {
        var instance = new Ec2Instance("i-1", "running", new Dictionary<string, string> { ["Backup"] = "true" });
        var drill = new DrillInstance("i-d1", "running", DrillId, "i-1", "ami-1", Now - Settings.Drill!.Timeout - TimeSpan.FromSeconds(1), Me, null);

        var plan = DrillPlanner.Plan(Settings, DrillId, Now, [instance], null, [], Account, [drill], new Dictionary<string, DrillHealth> { ["i-d1"] = new("running", "initializing", "ok") });

        var outcome = Assert.Single(plan.Outcomes);
        Assert.Equal(DrillOutcome.Failed, outcome.Status);
        Assert.Contains("instance check initializing", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(["i-d1"], plan.Terminate.Select(t => t.InstanceId));
        Assert.StartsWith("failed: ", Assert.Single(plan.Record).Result, StringComparison.Ordinal);
        Assert.True(plan.Done);
    }

    [Fact]
    public void Plan_WhenChecksPass_RecordsTheRtoFromLaunch()
    {
        var instance = new Ec2Instance("i-1", "running", new Dictionary<string, string> { ["Backup"] = "true" });
        var drill = new DrillInstance("i-d1", "running", DrillId, "i-1", "ami-1", Now - TimeSpan.FromSeconds(83), Me, null);

        var plan = DrillPlanner.Plan(Settings, DrillId, Now, [instance], null, [], Account, [drill], new Dictionary<string, DrillHealth> { ["i-d1"] = new("running", "ok", "ok") });

        Assert.Equal(83, Assert.Single(plan.Outcomes).RtoSeconds);
        Assert.Equal("passed rto=83", Assert.Single(plan.Record).Result);
    }

    private static Gen<(List<Ec2Instance>, List<Ec2Image>, List<DrillInstance>, Dictionary<string, DrillHealth>)> Worlds() =>
        from n in Gen.Choose(0, 6)
        from copyStates in Gen.Elements("available", "pending", "failed", "none").ListOf(n)
        from drillCount in Gen.Choose(0, 8)
        from drillSpecs in Gen.Zip(
            Gen.Zip(Gen.Zip(Gen.Choose(0, Math.Max(0, n - 1)), Gen.Elements(States)), Gen.Zip(Gen.Elements(DrillId, "2026-11-01T04:00:00Z"), Gen.Elements(Me, "another-stack"))),
            Gen.Zip(Gen.Elements<string?>(null, "passed rto=40", "failed: x"), Gen.Zip(Gen.Choose(0, 3600), Gen.Elements("ok", "initializing", "impaired")))).ListOf(drillCount)
        select Build(n, copyStates, drillSpecs);

    private static (List<Ec2Instance>, List<Ec2Image>, List<DrillInstance>, Dictionary<string, DrillHealth>) Build(
        int n, IList<string> copyStates, IList<(((int, string), (string, string)), (string?, (int, string)))> drillSpecs)
    {
        var instances = Enumerable.Range(0, n).Select(i => new Ec2Instance($"i-{i}", "running", new Dictionary<string, string> { ["Backup"] = "true" })).ToList();
        var copies = copyStates.Select((state, i) => (state, i)).Where(c => c.state != "none").Select(c => new Ec2Image($"ami-{c.i}", "us-west-2", $"copy-{c.i}", c.state, Account, Now.AddDays(-1), new Dictionary<string, string>
        {
            [ManagedTags.Managed] = ManagedTags.ManagedValue,
            [ManagedTags.Owner] = Me,
            [ManagedTags.InstanceId] = $"i-{c.i}",
        }, [])).ToList();
        var drills = new List<DrillInstance>();
        var health = new Dictionary<string, DrillHealth>(StringComparer.Ordinal);
        foreach (var (k, (((of, state), (drillId, owner)), (result, (age, status)))) in drillSpecs.Select((d, k) => (k, d)))
        {
            var id = $"i-drill{k}";
            drills.Add(new DrillInstance(id, state, drillId, n == 0 ? "i-x" : $"i-{of}", $"ami-{of}", Now.AddSeconds(-age), owner, result));
            health[id] = new DrillHealth(state, status, "ok");
        }

        return (instances, copies, drills, health);
    }
}
