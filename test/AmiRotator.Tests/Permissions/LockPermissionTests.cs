using AmiRotator.Inventory;
using AmiRotator.Tests.Iam;
using Xunit;
using static AmiRotator.Tests.Permissions.RoleEvaluation;

namespace AmiRotator.Tests.Permissions;

/// <summary>
/// Snapshot lock and deprecation (issue 12), evaluated against the role CloudFormation creates, with the SAR's
/// resource types and condition keys: LockSnapshot only on this stack's managed snapshots in the DR Region, never
/// UnlockSnapshot, and EnableImageDeprecation only on this stack's managed images.
/// </summary>
public sealed class LockPermissionTests
{
    private const string World = "SAM: restore drills";

    [Fact]
    public void LockSnapshot_OfOurDrCopysSnapshot_IsAllowed_ButNotInTheHomeRegion_NorOnAnotherStacksOrAnUnmanagedSnapshot()
    {
        var world = Deployments.Named(World);
        var dr = world.DrRegion!;
        var ours = world.Copy!.Tags;
        var others = new Dictionary<string, string>(ours) { [ManagedTags.Owner] = "another-stack@us-east-1" };
        var unmanaged = ours.Where(t => t.Key != ManagedTags.Managed).ToDictionary(t => t.Key, t => t.Value);
        AuthorizationRequest Lock(string region, IReadOnlyDictionary<string, string> tags) =>
            CallTable.Request("ec2:LockSnapshot", PermissionWorld.SnapshotArn(region, PermissionWorld.CopySnapshotId), "snapshot", region, CallTable.ResourceTags(tags));

        Assert.Equal(Verdict.Allowed, Evaluate(world, Lock(dr, ours)).Verdict);
        Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, Lock(world.Region, ours)).Verdict);
        Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, Lock(dr, others)).Verdict);
        Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, Lock(dr, unmanaged)).Verdict);
    }

    [Fact]
    public void UnlockSnapshot_IsNeverAllowed_InAnyDeployment()
    {
        foreach (var world in Deployments.All())
        {
            foreach (var region in new[] { world.Region, world.DrRegion }.OfType<string>())
            {
                var request = CallTable.Request("ec2:UnlockSnapshot", PermissionWorld.SnapshotArn(region, PermissionWorld.CopySnapshotId), "snapshot", region, CallTable.ResourceTags(world.Backup.Tags));
                Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, request).Verdict);
            }
        }
    }

    [Fact]
    public void EnableImageDeprecation_OfAnImageThatIsNotOurManagedBackup_IsDenied()
    {
        var world = Deployments.Named(World);
        var unmanaged = world.Backup.Tags.Where(t => t.Key != ManagedTags.Managed).ToDictionary(t => t.Key, t => t.Value);
        var ours = CallTable.Request("ec2:EnableImageDeprecation", PermissionWorld.ImageArn(world.Region, PermissionWorld.SourceImageId), "image", world.Region, CallTable.ResourceTags(world.Backup.Tags));
        var notOurs = CallTable.Request("ec2:EnableImageDeprecation", PermissionWorld.ImageArn(world.Region, "ami-0ccccccccccccccc1"), "image", world.Region, CallTable.ResourceTags(unmanaged));

        Assert.Equal(Verdict.Allowed, Evaluate(world, ours).Verdict);
        Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, notOurs).Verdict);
    }
}
