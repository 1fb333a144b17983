using AmiRotator.Configuration;
using AmiRotator.Inventory;
using AmiRotator.Planning;
using AmiRotator.Tests.Safety;

namespace AmiRotator.Tests.PlanSteps;

/// <summary>
/// A hand-written inventory for one planner call: settings read the way the function reads them, the source and DR
/// Regions' images, snapshots and locks, and which reads failed. Small cases that each pin one rule of a step; the
/// generated worlds (<see cref="SafetyWorlds"/>) cover the rules together.
/// </summary>
internal sealed class PlanningCase
{
    public const string InstanceId = "i-0123456789abcdef0";
    public const string Source = SafetyWorld.Source;
    public const string Dr = SafetyWorld.Dr;
    public const string Account = SafetyWorld.Account;
    public const string Owner = SafetyWorld.Owner;

    public static readonly DateTimeOffset Now = SafetyWorld.Now;

    private readonly Dictionary<string, string> environment = new(StringComparer.Ordinal)
    {
        ["AWS_REGION"] = Source,
        ["OWNER"] = Owner,
        ["RETENTION"] = "keep-last=1",
    };

    public PlanningCase(params (string Name, string Value)[] environment)
    {
        foreach (var (name, value) in environment)
        {
            this.environment[name] = value;
        }
    }

    public List<Ec2Instance> Instances { get; } = [];

    public List<Ec2Image> SourceImages { get; } = [];

    public List<Ec2Image> DrImages { get; } = [];

    public List<Ec2Snapshot> SourceSnapshots { get; } = [];

    public List<Ec2Snapshot> DrSnapshots { get; } = [];

    public Dictionary<string, SnapshotLock> SourceLocks { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, SnapshotLock> DrLocks { get; } = new(StringComparer.Ordinal);

    public List<InventoryPart> Unread { get; } = [];

    public Settings Settings() => AmiRotator.Configuration.Settings.FromEnvironment(name => environment.GetValueOrDefault(name));

    public Inventory.Inventory Inventory() => new(
        Account,
        Instances,
        new RegionInventory(Source, SourceImages, SourceSnapshots, SourceLocks),
        environment.ContainsKey("DR_REGION") ? new RegionInventory(Dr, DrImages, DrSnapshots, DrLocks) : null,
        [.. Unread.Select(part => new ReadFailure(part, Source, "Describe", "UnauthorizedOperation"))]);

    /// <summary>Plans with every image checked and unused, as the pass's second planning round does.</summary>
    public Plan Build(PassScope? scope = null, ImageReferences? references = null) =>
        Planner.Build(Settings(), Inventory(), scope ?? Prune, references ?? Unused());

    public ImageReferences Unused() =>
        new(SourceImages.Concat(DrImages).ToDictionary(i => i.ImageId, _ => (IReadOnlyList<string>)[], StringComparer.Ordinal));

    public static PassScope Prune => SafetyWorld.PruneScope(Now);

    public static PassScope Copy => new(Backup: false, Copy: true, Prune: false, Now);

    public static PassScope Scheduled => new(Backup: true, Copy: false, Prune: false, Now, ScheduledTime: Now);

    public string AddInstance(string instanceId = InstanceId, string state = "running", string? retention = null, string? name = null, bool tagged = true)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (tagged)
        {
            tags["Backup"] = "true";
        }

        if (retention is not null)
        {
            tags[ManagedTags.Retention] = retention;
        }

        if (name is not null)
        {
            tags[ManagedTags.Name] = name;
        }

        Instances.Add(new Ec2Instance(instanceId, state, tags));
        return instanceId;
    }

    /// <summary>One of this stack's backups in the source Region, with one snapshot named after it.</summary>
    public Ec2Image AddBackup(string imageId, DateTimeOffset created, string state = ImageStates.Available, string? instanceId = InstanceId, string? policy = "keep-last=1",
        string? owner = Owner, IEnumerable<(string Key, string Value)>? tags = null, string? deregistrationProtection = null, DateTimeOffset? deprecation = null,
        string? name = null, IReadOnlyList<string>? snapshots = null)
    {
        var all = ManagedTagsFor(instanceId, policy, owner);
        foreach (var (key, value) in tags ?? [])
        {
            all[key] = value;
        }

        var image = new Ec2Image(imageId, Source, name ?? NameFor(instanceId, imageId), state, Account, created, all, snapshots ?? [SnapshotOf(imageId)], deregistrationProtection, deprecation);
        SourceImages.Add(image);
        return image;
    }

    /// <summary>This stack's DR copy of <paramref name="source"/> in the DR Region.</summary>
    public Ec2Image AddCopy(string imageId, Ec2Image source, DateTimeOffset created, string state = ImageStates.Available, string? policy = "keep-last=1", string? owner = Owner)
    {
        var tags = ManagedTagsFor(source.InstanceId, policy, owner);
        tags[ManagedTags.SourceImageId] = source.ImageId;
        tags[ManagedTags.SourceRegion] = Source;
        tags[ManagedTags.BackupTime] = Iso8601.Milliseconds(source.CreationDate);
        var copy = new Ec2Image(imageId, Dr, source.Name, state, Account, created, tags, [SnapshotOf(imageId)]);
        DrImages.Add(copy);
        return copy;
    }

    /// <summary>A managed snapshot of this stack in <paramref name="region"/> that no image lists: an orphan.</summary>
    public Ec2Snapshot AddOrphan(string snapshotId, DateTimeOffset started, string region = Source, string? instanceId = InstanceId, string state = "completed")
    {
        var tags = ManagedTagsFor(instanceId, policy: null, Owner);
        if (region == Dr)
        {
            tags[ManagedTags.SourceRegion] = Source;
        }

        var snapshot = new Ec2Snapshot(snapshotId, region, state, started, tags);
        (region == Dr ? DrSnapshots : SourceSnapshots).Add(snapshot);
        return snapshot;
    }

    public static string SnapshotOf(string imageId) => $"snap-{imageId["ami-".Length..]}";

    private static string NameFor(string? instanceId, string imageId) =>
        instanceId is null ? $"{BackupNaming.Prefix}-{imageId}" : $"{BackupNaming.Prefix}-{instanceId}-{imageId}";

    private static Dictionary<string, string> ManagedTagsFor(string? instanceId, string? policy, string? owner)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal) { [ManagedTags.Managed] = ManagedTags.ManagedValue };
        if (instanceId is not null)
        {
            tags[ManagedTags.InstanceId] = instanceId;
        }

        if (policy is not null)
        {
            tags[ManagedTags.Policy] = policy;
        }

        if (owner is not null)
        {
            tags[ManagedTags.Owner] = owner;
        }

        return tags;
    }
}
