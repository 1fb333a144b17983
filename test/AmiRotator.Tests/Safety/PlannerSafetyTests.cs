using AmiRotator.Inventory;
using AmiRotator.Planning;
using Xunit;

namespace AmiRotator.Tests.Safety;

/// <summary>
/// The safety rules on hand-written inventories: each the smallest case a property would shrink to, kept so a
/// regression reads as a sentence.
/// </summary>
public sealed class PlannerSafetyTests
{
    private const string InstanceId = "i-0123456789abcdef0";

    [Fact]
    public void Build_NeverRetiresAnotherAccountsImage_EvenWhenItIsListed()
    {
        // DescribeImages(Owners=self) never lists them, but the planner must not rely on the listing.
        var foreign = Backup("ami-0foreign000000001", SafetyWorld.Now.AddDays(-30), owner: SafetyWorld.OtherAccount);
        var plan = Build("keep-last=1", [foreign, Backup("ami-0ours00000000002", SafetyWorld.Now.AddDays(-2)), Backup("ami-0ours00000000003", SafetyWorld.Now.AddDays(-1))]);

        Assert.Equal(["ami-0ours00000000002"], plan.Retirements.Select(r => r.ImageId));
        Assert.DoesNotContain(plan.Kept, k => k.ImageId == foreign.ImageId);
    }

    [Fact]
    public void Build_WhenAFailedImageIsInUse_KeepsIt()
    {
        var failed = Backup("ami-0failed000000001", SafetyWorld.Now.AddDays(-2), ImageStates.Failed);
        var references = new ImageReferences(new Dictionary<string, IReadOnlyList<string>>
        {
            [failed.ImageId] = [$"arn:aws:ec2:{SafetyWorld.Source}:{SafetyWorld.Account}:launch-template/lt-0abc/7"],
        });

        var plan = Build("keep-last=1", [failed, Backup("ami-0good0000000002", SafetyWorld.Now.AddDays(-1))], references);

        Assert.DoesNotContain(plan.Retirements, r => r.ImageId == failed.ImageId);
    }

    [Fact]
    public void Build_WhenTheInUseCheckIsUnavailable_RetiresNothingItCouldNotCheck()
    {
        var failed = Backup("ami-0failed000000001", SafetyWorld.Now.AddDays(-2), ImageStates.Failed);
        var old = Backup("ami-0old00000000002", SafetyWorld.Now.AddDays(-3));
        var unavailable = new ImageReferences(new Dictionary<string, IReadOnlyList<string>>(), "DescribeImageReferences failed");

        var plan = Build("keep-last=1", [failed, old, Backup("ami-0good0000000003", SafetyWorld.Now.AddDays(-1))], unavailable);

        Assert.Empty(plan.Retirements);
    }

    private static Plan Build(string retention, IReadOnlyList<Ec2Image> images, ImageReferences? references = null)
    {
        var settings = AmiRotator.Configuration.Settings.FromEnvironment(name => name switch
        {
            "AWS_REGION" => SafetyWorld.Source,
            "RETENTION" => retention,
            "OWNER" => SafetyWorld.Owner,
            _ => null,
        });
        var inventory = new Inventory.Inventory(SafetyWorld.Account, [], new RegionInventory(SafetyWorld.Source, images, []), null);
        var empty = new ImageReferences(images.ToDictionary(i => i.ImageId, _ => (IReadOnlyList<string>)[], StringComparer.Ordinal));
        return Planner.Build(settings, inventory, SafetyWorld.PruneScope(SafetyWorld.Now), references ?? empty);
    }

    private static Ec2Image Backup(string imageId, DateTimeOffset created, string state = ImageStates.Available, string owner = SafetyWorld.Account) => new(
        imageId,
        SafetyWorld.Source,
        $"ami-rotator-{InstanceId}-{imageId}",
        state,
        owner,
        created,
        new Dictionary<string, string>(StringComparer.Ordinal) { [ManagedTags.Managed] = "true", [ManagedTags.InstanceId] = InstanceId, [ManagedTags.Owner] = SafetyWorld.Owner, [ManagedTags.Policy] = "keep-last=1" },
        [$"snap-{imageId[4..]}"]);
}
