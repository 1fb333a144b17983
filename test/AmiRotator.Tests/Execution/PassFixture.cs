using AmiRotator.Configuration;
using AmiRotator.Execution;
using AmiRotator.Inventory;
using AmiRotator.Invocation;
using AmiRotator.Reporting;
using AmiRotator.Tests.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace AmiRotator.Tests.Execution;

/// <summary>
/// One account with a source and a DR Region on a <see cref="FakeEc2"/>, a fake clock, and settings read the way the
/// function reads them: the whole pass (read, plan, check references, execute) runs against it.
/// </summary>
internal sealed class PassFixture
{
    public const string Account = FakeEc2.DefaultAccountId;
    public const string Source = "eu-west-1";
    public const string Dr = "eu-central-1";

    /// <summary>The classic schedule's time: 03:00 UTC; the invocation arrives a few seconds later.</summary>
    public static readonly DateTimeOffset ScheduledTime = new(2026, 11, 26, 3, 0, 0, TimeSpan.Zero);

    public static readonly Func<TimeSpan> PlentyOfTime = () => TimeSpan.FromMinutes(14);

    private readonly Dictionary<string, string> environment;

    public PassFixture(params (string Name, string Value)[] environment)
    {
        this.environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AWS_REGION"] = Source,
            ["DR_REGION"] = Dr,
            ["RETENTION"] = "keep-last=3",
        };
        foreach (var (name, value) in environment)
        {
            this.environment[name] = value;
        }

        Ec2 = new FakeEc2(Clock);
        Settings = Settings.FromEnvironment(name => this.environment.GetValueOrDefault(name));
    }

    public FakeTimeProvider Clock { get; } = new(ScheduledTime.AddSeconds(4));

    public FakeEc2 Ec2 { get; }

    public Settings Settings { get; }

    public StringWriter LogOutput { get; } = new();

    public static Request Scheduled(DateTimeOffset? time = null, bool dryRun = false) => new(RequestKind.Run, dryRun, ScheduledTime: time ?? ScheduledTime);

    public static Dictionary<string, string> Tags(params (string Key, string Value)[] tags) =>
        tags.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);

    /// <summary>An instance carrying the default backup tag (Backup=true) and a Name.</summary>
    public string AddProtectedInstance(string name, string state = "running", string? retention = null)
    {
        var tags = Tags(("Backup", "true"), (ManagedTags.Name, name));
        if (retention is not null)
        {
            tags[ManagedTags.Retention] = retention;
        }

        return Ec2.AddInstance(Source, tags: tags, state: state);
    }

    /// <summary>
    /// A backup of <paramref name="instanceId"/> as a past pass left it (managed, owned by this stack, its policy
    /// recorded, tagged on image and snapshots). <paramref name="legacy"/>: as a version before owners and policies
    /// were recorded left it.
    /// </summary>
    public string AddBackup(string instanceId, DateTimeOffset created, string state = ImageStates.Available, IReadOnlyList<string>? snapshotIds = null, bool pinned = false, string? policy = null, bool legacy = false)
    {
        var tags = Tags(
            (ManagedTags.Managed, ManagedTags.ManagedValue),
            (ManagedTags.InstanceId, instanceId),
            (ManagedTags.ScheduledTime, Planning.BackupNaming.TimeTag(created)));
        if (!legacy)
        {
            tags[ManagedTags.Owner] = Settings.Owner;
            tags[ManagedTags.Policy] = policy ?? Settings.Retention.ToString();
        }

        if (pinned)
        {
            tags[ManagedTags.Keep] = "true";
        }

        var name = legacy ? $"{Planning.BackupNaming.Prefix}-{instanceId}-{created.UtcDateTime:yyyyMMdd'T'HHmm'Z'}" : Planning.BackupNaming.Scheduled(instanceId, created, Settings.Owner);
        return Ec2.AddImage(Source, name: name, state: state, creationDate: created, tags: tags, snapshotIds: snapshotIds);
    }

    public ReconcilePass Pass() =>
        new(Settings, Ec2.Region(Source), Settings.DrRegion is null ? null : Ec2.Region(Dr), Clock, new Log(LogOutput, Clock));

    public Task<Summary> RunAsync(Request request, Func<TimeSpan>? timeLeft = null) =>
        Pass().RunAsync(request, Account, timeLeft ?? PlentyOfTime, CancellationToken.None);

    /// <summary>Registered images of the account in <paramref name="region"/> whose instance-id tag is <paramref name="instanceId"/>.</summary>
    public IReadOnlyList<FakeImage> BackupsOf(string instanceId, string region = Source) =>
        [.. Ec2.Images(region).Where(i => i.Tags.GetValueOrDefault(ManagedTags.InstanceId) == instanceId)];
}
