using AmiRotator.Drills;
using AmiRotator.Inventory;

namespace AmiRotator.Tests.Permissions;

/// <summary>
/// The restore drill's rows of the table of calls (<see cref="IDrillEc2"/>, in the DR Region). RunInstances is
/// authorised against every resource it touches [SAR ec2, RunInstances: instance, volume, network-interface,
/// subnet, security-group, image, snapshot], the instance and volume with the request's tags; tag-on-create needs
/// ec2:CreateTags with ec2:CreateAction=RunInstances [ec2/latest/devguide/supported-iam-actions-tagging].
/// </summary>
internal static class DrillCallTable
{
    public const string Subnet = "subnet-0123456789abcdef0";
    public const string SecurityGroup = "sg-0123456789abcdef0";
    public const string DrillInstanceId = "i-0ddddddddddddddd1";

    public static readonly IReadOnlySet<string> Methods = new HashSet<string>(StringComparer.Ordinal)
    {
        nameof(IDrillEc2.ListDrillInstancesAsync),
        nameof(IDrillEc2.LaunchAsync),
        nameof(IDrillEc2.HealthAsync),
        nameof(IDrillEc2.RecordAsync),
        nameof(IDrillEc2.TerminateAsync),
    };

    public static IReadOnlyDictionary<string, string> LaunchTags(PermissionWorld world) => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [ManagedTags.Drill] = "2026-12-01T05:00:00Z",
        [ManagedTags.DrillOf] = PermissionWorld.InstanceId,
        [ManagedTags.Owner] = world.Settings.Owner,
        [ManagedTags.Name] = $"ami-rotator-drill-{PermissionWorld.InstanceId}",
    };

    public static IEnumerable<SeamCall> Calls(PermissionWorld world)
    {
        if (world.Settings.Drill is null || world.DrRegion is not { } dr)
        {
            yield break;
        }

        var account = PermissionWorld.Account;
        var tags = LaunchTags(world);
        var request = CallTable.RequestTags(tags).ToList();
        var copyTags = world.Copy!.Tags;
        yield return new SeamCall(nameof(IDrillEc2.ListDrillInstancesAsync), dr, "ec2:DescribeInstances", "drill instances, tag-key filter", [CallTable.Request("ec2:DescribeInstances", "*", null, dr)]);
        yield return new SeamCall(nameof(IDrillEc2.HealthAsync), dr, "ec2:DescribeInstanceStatus", "status checks", [CallTable.Request("ec2:DescribeInstanceStatus", "*", null, dr)]);
        yield return new SeamCall(nameof(IDrillEc2.LaunchAsync), dr, "ec2:RunInstances", "the newest DR copy, into the drill subnet, tagged as a drill",
        [
            CallTable.Request("ec2:RunInstances", Arn(dr, account, "instance/*"), "instance", dr, request),
            CallTable.Request("ec2:RunInstances", Arn(dr, account, "volume/*"), "volume", dr),
            CallTable.Request("ec2:RunInstances", Arn(dr, account, "network-interface/*"), "network-interface", dr),
            CallTable.Request("ec2:RunInstances", Arn(dr, account, $"subnet/{world.Settings.Drill.SubnetId}"), "subnet", dr),
            CallTable.Request("ec2:RunInstances", Arn(dr, account, $"security-group/{world.Settings.Drill.SecurityGroupId}"), "security-group", dr),
            CallTable.Request("ec2:RunInstances", PermissionWorld.ImageArn(dr, PermissionWorld.CopyImageId), "image", dr, CallTable.ResourceTags(copyTags)),
            CallTable.Request("ec2:RunInstances", PermissionWorld.SnapshotArn(dr, PermissionWorld.CopySnapshotId), "snapshot", dr, CallTable.ResourceTags(copyTags)),
            CallTable.Request("ec2:CreateTags", Arn(dr, account, "instance/*"), "instance", dr, [.. request, ("ec2:CreateAction", ["RunInstances"])]),
        ]);
        var result = new Dictionary<string, string> { [ManagedTags.DrillResult] = "passed rto=83" };
        yield return new SeamCall(nameof(IDrillEc2.RecordAsync), dr, "ec2:CreateTags", "a drill's outcome on its instance",
            [CallTable.Request("ec2:CreateTags", Arn(dr, account, $"instance/{DrillInstanceId}"), "instance", dr, [.. CallTable.ResourceTags(tags), .. CallTable.RequestTags(result)])]);
        yield return new SeamCall(nameof(IDrillEc2.TerminateAsync), dr, "ec2:TerminateInstances", "a drill instance",
            [CallTable.Request("ec2:TerminateInstances", Arn(dr, account, $"instance/{DrillInstanceId}"), "instance", dr, CallTable.ResourceTags(tags))]);
    }

    public static string Arn(string region, string account, string resource) => $"arn:{PermissionWorld.Partition}:ec2:{region}:{account}:{resource}";
}
