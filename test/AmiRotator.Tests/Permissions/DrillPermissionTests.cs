using System.Reflection;
using AmiRotator.Drills;
using AmiRotator.Inventory;
using AmiRotator.Tests.Iam;
using Xunit;
using static AmiRotator.Tests.Permissions.RoleEvaluation;

namespace AmiRotator.Tests.Permissions;

/// <summary>
/// The restore drill's permissions, evaluated against the role as CloudFormation creates it: every drill call is in
/// the table (and allowed, by RolePermissionTests), and what a drill must never do is denied.
/// </summary>
public sealed class DrillPermissionTests
{
    private const string World = "SAM: restore drills";

    [Fact]
    public void DrillSeam_WhenItsMethodsAreListed_EachHasRowsInTheTable()
    {
        var methods = typeof(IDrillEc2).GetMethods(BindingFlags.Public | BindingFlags.Instance).Where(m => !m.IsSpecialName).Select(m => m.Name);
        Assert.Equal(methods.Order(StringComparer.Ordinal), DrillCallTable.Methods.Order(StringComparer.Ordinal));
        var rows = DrillCallTable.Calls(Deployments.Named(World)).Select(c => c.Method).ToHashSet(StringComparer.Ordinal);
        Assert.All(DrillCallTable.Methods, m => Assert.Contains(m, rows));
    }

    [Fact]
    public void RunInstances_WithoutTheDrillTag_OrIntoAnotherSubnet_OrFromAnUnmanagedImage_IsDenied()
    {
        var world = Deployments.Named(World);
        var dr = world.DrRegion!;
        var account = PermissionWorld.Account;
        var untagged = new Dictionary<string, string> { [ManagedTags.Owner] = world.Settings.Owner };

        Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, CallTable.Request("ec2:RunInstances", DrillCallTable.Arn(dr, account, "instance/*"), "instance", dr, CallTable.RequestTags(untagged))).Verdict);
        Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, CallTable.Request("ec2:RunInstances", DrillCallTable.Arn(dr, account, "subnet/subnet-0fffffffffffffff0"), "subnet", dr)).Verdict);
        Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, CallTable.Request("ec2:RunInstances", DrillCallTable.Arn(dr, account, "security-group/sg-0fffffffffffffff0"), "security-group", dr)).Verdict);
        Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, CallTable.Request("ec2:RunInstances", PermissionWorld.ImageArn(dr, "ami-0ccccccccccccccc1"), "image", dr)).Verdict);
        // Not in the home Region, where production runs.
        Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, CallTable.Request("ec2:RunInstances", DrillCallTable.Arn(world.Region, account, "instance/*"), "instance", world.Region, CallTable.RequestTags(DrillCallTable.LaunchTags(world)))).Verdict);
    }

    [Fact]
    public void TerminateInstances_OfAnInstanceThatIsNotThisStacksDrill_IsDenied()
    {
        var world = Deployments.Named(World);
        var dr = world.DrRegion!;
        var production = new Dictionary<string, string> { ["Backup"] = "true", [ManagedTags.Name] = "web-1" };
        var othersDrill = new Dictionary<string, string>(DrillCallTable.LaunchTags(world)) { [ManagedTags.Owner] = "another-stack@us-east-1" };

        foreach (var tags in new[] { production, othersDrill })
        {
            Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, CallTable.Request("ec2:TerminateInstances", DrillCallTable.Arn(dr, PermissionWorld.Account, "instance/i-0eeeeeeeeeeeeeee1"), "instance", dr, CallTable.ResourceTags(tags))).Verdict);
        }

        // Writing anything but the outcome on a drill instance is denied too.
        Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, CallTable.Request("ec2:CreateTags", DrillCallTable.Arn(dr, PermissionWorld.Account, $"instance/{DrillCallTable.DrillInstanceId}"), "instance", dr,
            [.. CallTable.ResourceTags(DrillCallTable.LaunchTags(world)), .. CallTable.RequestTags(new Dictionary<string, string> { ["Backup"] = "false" })])).Verdict);
    }

    [Fact]
    public void DrillPermissions_WithoutDrillSettings_AreNotGranted()
    {
        var world = Deployments.Named("SAM: DR Region");
        Assert.DoesNotContain(world.Stack.RoleStatements, s => (s.Action ?? []).Any(a => a is "ec2:RunInstances" or "ec2:TerminateInstances"));
    }
}
