using AmiRotator.Configuration;
using AmiRotator.Inventory;
using AmiRotator.Planning;
using BenchmarkDotNet.Attributes;

namespace AmiRotator.Benchmarks;

/// <summary>
/// The planner at scale: 5,000 instances with 10 backups each at home and 10 copies each in the DR Region (100,000
/// images), every plan step on (back up, copy, adopt, retain, sweep), with a full in-use answer.
/// </summary>
[MemoryDiagnoser]
public class PlannerBenchmarks
{
    public const int Instances = 5_000;
    public const int BackupsPerRegion = 10;

    private Settings settings = null!;
    private Inventory.Inventory inventory = null!;
    private PassScope scope = null!;
    private ImageReferences references = null!;

    [GlobalSetup]
    public void Setup() => (settings, inventory, scope, references) = PlannerWorld.Build(Instances, BackupsPerRegion);

    [Benchmark]
    public int Plan() => AmiRotator.Planning.Planner.Build(settings, inventory, scope, references).Retirements.Count;
}

/// <summary>The world the planner benchmark plans over, also used to measure the planner's peak memory in a process of its own.</summary>
internal static class PlannerWorld
{
    public static (Settings, Inventory.Inventory, PassScope, ImageReferences) Build(int instances, int backupsPerRegion)
    {
        var env = new Dictionary<string, string>
        {
            ["AWS_REGION"] = "us-east-1",
            ["DR_REGION"] = "us-west-2",
            ["RETENTION"] = "keep-daily=7,keep-weekly=4",
            ["DR_RETENTION"] = "keep-daily=7",
            ["OWNER"] = "ami-rotator-bench",
            ["MAX_RETIRE_PER_RUN"] = "100000",
        };
        var settings = Settings.FromEnvironment(k => env.GetValueOrDefault(k));
        var now = new DateTimeOffset(2026, 11, 26, 3, 0, 0, TimeSpan.Zero);
        var ec2Instances = new List<Ec2Instance>();
        var source = new List<Ec2Image>();
        var dr = new List<Ec2Image>();
        var snapshots = new List<Ec2Snapshot>();
        var checkedIds = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        for (var n = 0; n < instances; n++)
        {
            var instance = $"i-{n:x17}";
            ec2Instances.Add(new Ec2Instance(instance, "running", new Dictionary<string, string> { ["Backup"] = "true" }));
            for (var b = 1; b <= backupsPerRegion; b++)
            {
                var time = now.AddDays(-b);
                var name = BackupNaming.Scheduled(instance, time, settings.Owner);
                var tags = new Dictionary<string, string>
                {
                    [ManagedTags.Managed] = ManagedTags.ManagedValue,
                    [ManagedTags.Owner] = settings.Owner,
                    [ManagedTags.InstanceId] = instance,
                    [ManagedTags.ScheduledTime] = BackupNaming.TimeTag(time),
                    [ManagedTags.Policy] = settings.Retention.ToString(),
                    [ManagedTags.DrPolicy] = settings.DrRetention.ToString(),
                    [ManagedTags.ImageName] = name,
                };
                var id = $"ami-{n:x9}{b:x8}";
                var snap = $"snap-{n:x9}{b:x8}";
                source.Add(new Ec2Image(id, "us-east-1", name, ImageStates.Available, "123456789012", time, tags, [snap]));
                snapshots.Add(new Ec2Snapshot(snap, "us-east-1", "completed", time, tags));
                var copyTags = new Dictionary<string, string>(tags)
                {
                    [ManagedTags.SourceImageId] = id,
                    [ManagedTags.SourceRegion] = "us-east-1",
                    [ManagedTags.Policy] = settings.DrRetention.ToString(),
                    [ManagedTags.BackupTime] = Iso8601.Milliseconds(time),
                };
                var copy = $"ami-{n:x9}{b:x7}c";
                dr.Add(new Ec2Image(copy, "us-west-2", name, ImageStates.Available, "123456789012", time.AddMinutes(30), copyTags, [$"snap-{n:x9}{b:x7}c"]));
                checkedIds[id] = [];
                checkedIds[copy] = [];
            }
        }

        var inventory = new Inventory.Inventory("123456789012", ec2Instances, new RegionInventory("us-east-1", source, snapshots), new RegionInventory("us-west-2", dr, []));
        return (settings, inventory, new PassScope(Backup: true, Copy: true, Prune: true, now, now), new ImageReferences(checkedIds, null));
    }
}
