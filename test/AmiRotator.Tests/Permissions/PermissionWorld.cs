using AmiRotator.Configuration;
using AmiRotator.Inventory;
using AmiRotator.Planning;
using AmiRotator.Tests.Deployment;

namespace AmiRotator.Tests.Permissions;

/// <summary>
/// One deployment of the stack (a parameter set) with the resources its function touches: a tagged instance, the
/// backup the function would create of it, the copy it would make, their snapshots, and the KMS keys in play.
/// Request tags come from the real planner run on the settings CloudFormation hands the function, so an IAM test
/// fails the day the code stops tagging what the policy expects.
/// </summary>
internal sealed class PermissionWorld
{
    public const string InstanceId = "i-0123456789abcdef0";
    public const string SourceImageId = "ami-0aaaaaaaaaaaaaaa1";
    public const string SourceSnapshotId = "snap-0aaaaaaaaaaaaaaa1";
    public const string DataSnapshotId = "snap-0aaaaaaaaaaaaaaa2";
    public const string CopyImageId = "ami-0bbbbbbbbbbbbbbb1";
    public const string CopySnapshotId = "snap-0bbbbbbbbbbbbbbb1";
    public const string AliasTargetKeyId = "1234abcd-12ab-34cd-56ef-1234567890ab";

    private static readonly DateTimeOffset Now = new(2026, 11, 26, 3, 0, 0, TimeSpan.Zero);

    public PermissionWorld(string name, IReadOnlyDictionary<string, string> parameters, DeployedStack stack, WorldKeys? keys = null)
    {
        Name = name;
        Parameters = parameters;
        Stack = stack;
        Keys = keys ?? new WorldKeys();
        var environment = new Dictionary<string, string>(stack.Environment, StringComparer.Ordinal) { ["AWS_REGION"] = DeployedStack.Region, ["AWS_LAMBDA_FUNCTION_NAME"] = "ami-rotator-AmiRotatorFunction-PHYSICAL" };
        Settings = Settings.FromEnvironment(n => environment.GetValueOrDefault(n));
        Backup = PlanOne(Settings, new PassScope(Backup: true, Copy: false, Prune: false, Now, Now)).Backups.Single();
        if (Settings.DrRegion is not null)
        {
            var source = new Ec2Image(SourceImageId, Region, Backup.Name, ImageStates.Available, Account, Now, Backup.Tags, [SourceSnapshotId, DataSnapshotId]);
            Copy = PlanOne(Settings, new PassScope(Backup: false, Copy: true, Prune: false, Now), source).Copies.Single();
        }
    }

    public string Name { get; }

    public IReadOnlyDictionary<string, string> Parameters { get; }

    public DeployedStack Stack { get; }

    public WorldKeys Keys { get; }

    public Settings Settings { get; }

    public string Region => Settings.Region;

    public string? DrRegion => Settings.DrRegion;

    public static string Account => DeployedStack.AccountId;

    public static string Partition => "aws";

    /// <summary>The CreateImage request the planner makes for <see cref="InstanceId"/>.</summary>
    public BackupAction Backup { get; }

    /// <summary>The CopyImage request the planner makes for the backup (null without a DR Region).</summary>
    public CopyAction? Copy { get; }

    public IReadOnlyDictionary<string, string> InstanceTags => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [Settings.BackupTag.Key] = Settings.BackupTag.Value,
        ["Name"] = "web-1",
    };

    public static string ImageArn(string region, string id) => $"arn:{Partition}:ec2:{region}::image/{id}";

    public static string SnapshotArn(string region, string id) => $"arn:{Partition}:ec2:{region}::snapshot/{id}";

    public static string InstanceArn(string region, string id) => $"arn:{Partition}:ec2:{region}:{Account}:instance/{id}";

    public static string KeyArn(string region, string id) => $"arn:{Partition}:kms:{region}:{Account}:key/{id}";

    public override string ToString() => Name;

    private PlanCapture PlanOne(Settings settings, PassScope scope, Ec2Image? sourceImage = null)
    {
        var instance = new Ec2Instance(InstanceId, "running", InstanceTags);
        var images = sourceImage is null ? Array.Empty<Ec2Image>() : [sourceImage];
        var inventory = new Inventory.Inventory(Account, [instance], new RegionInventory(settings.Region, images, []),
            settings.DrRegion is { } dr ? new RegionInventory(dr, [], []) : null);
        var plan = Planner.Build(settings, inventory, scope, references: null);
        return new PlanCapture(plan.Backups, plan.Copies);
    }

    private sealed record PlanCapture(IReadOnlyList<BackupAction> Backups, IReadOnlyList<CopyAction> Copies);
}

/// <summary>
/// The KMS keys of a deployment, as the keys EC2 will use on the function's behalf: the customer managed keys that
/// encrypt the instances' volumes at home, and the DR Region's EBS default key when it is customer managed.
/// (An explicit DR_KMS_KEY_ID comes from the settings.)
/// </summary>
internal sealed record WorldKeys(IReadOnlyList<string>? SourceKeyArns = null, string? DrDefaultKeyArn = null)
{
    public IReadOnlyList<string> Source => SourceKeyArns ?? [];
}
