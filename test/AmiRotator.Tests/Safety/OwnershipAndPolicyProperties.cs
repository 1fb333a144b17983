using AmiRotator.Inventory;
using AmiRotator.Planning;
using AmiRotator.Retention;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace AmiRotator.Tests.Safety;

/// <summary>
/// The rules that keep a backup under AWS's real semantics, over generated worlds where backups belong to this stack,
/// to another stack in the same account and Region, or to nobody yet (made before owners were recorded), carry a
/// recorded policy or not, and have DR copies still pending.
/// </summary>
public sealed class OwnershipAndPolicyProperties
{
    private const int Cases = 1000;

    [Property(MaxTest = Cases)]
    public Property Build_RetiresCopiesAndSweepsOnlyWhatThisStackOwns() => PlannerSafetyProperties.ForEveryPlan((world, _, plan) =>
    {
        Assert.All(plan.Retirements, r => Assert.Equal(SafetyWorld.Owner, world.Image(r.ImageId).Owner));
        Assert.All(plan.SnapshotDeletions, d => Assert.Equal(SafetyWorld.Owner, world.Snapshots.Single(s => s.SnapshotId == d.SnapshotId).Tags.GetValueOrDefault(ManagedTags.Owner)));
        Assert.All(plan.Copies, c => Assert.Equal(SafetyWorld.Owner, world.Image(c.SourceImageId).Owner));
        Assert.All(plan.Copies, c => Assert.Equal(SafetyWorld.Owner, c.Tags[ManagedTags.Owner]));
    });

    [Property(MaxTest = Cases)]
    public Property Build_AdoptsOnlyBackupsWithoutAnOwnerWhoseInstanceCarriesTheTag() => PlannerSafetyProperties.ForEveryPlan((world, _, plan) =>
    {
        var tagged = world.Instances.Where(i => i.Tags.GetValueOrDefault("Backup") == "true").Select(i => i.InstanceId).ToHashSet(StringComparer.Ordinal);
        foreach (var adoption in plan.Adoptions)
        {
            Assert.Equal(SafetyWorld.Owner, adoption.Tags[ManagedTags.Owner]);
            Assert.Subset(new HashSet<string>(StringComparer.Ordinal) { ManagedTags.Owner, ManagedTags.Policy, ManagedTags.DrPolicy }, adoption.Tags.Keys.ToHashSet(StringComparer.Ordinal));
            Assert.Contains(adoption.InstanceId!, tagged);
            foreach (var id in adoption.ResourceIds)
            {
                var tags = id.StartsWith("ami-", StringComparison.Ordinal) ? world.Image(id).Tags : world.Snapshots.Single(s => s.SnapshotId == id).Tags;
                Assert.False(tags.ContainsKey(ManagedTags.Owner), $"{id} already belongs to {tags.GetValueOrDefault(ManagedTags.Owner)}");
                Assert.Equal(ManagedTags.ManagedValue, tags.GetValueOrDefault(ManagedTags.Managed));
            }
        }

        // An adopted backup is judged from the next pass on, never retired by the pass that adopts it.
        var adopted = plan.Adoptions.SelectMany(a => a.ResourceIds).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(plan.Retirements, r => adopted.Contains(r.ImageId));
    });

    [Property(MaxTest = Cases)]
    public Property Build_RetiresABackupOnlyWhenItsOwnRecordedPolicyLetsItGo() => PlannerSafetyProperties.ForEveryPlan((world, references, plan) =>
    {
        var settings = world.Settings();
        var instances = world.Instances.ToDictionary(i => i.InstanceId, StringComparer.Ordinal);
        foreach (var retire in plan.Retirements.Where(r => world.Image(r.ImageId).State == ImageStates.Available))
        {
            var image = world.Image(retire.ImageId);
            RetentionPolicy policy;
            if (image.RecordedPolicy is { } recorded)
            {
                Assert.True(RetentionPolicy.TryParse(recorded, out var parsed, out _), $"{image.ImageId} was retired under an invalid recorded policy '{recorded}'");
                policy = parsed!;
            }
            else
            {
                // Without a recorded policy only a live, tagged instance can say which policy applies.
                Assert.True(image.InstanceId is not null && instances.ContainsKey(image.InstanceId), $"{image.ImageId} has no recorded policy and its instance is gone, yet it was retired");
                continue;
            }

            var timeline = world.Images
                .Where(i => SafetyWorld.IsOwnedBackup(i) && i.Region == image.Region && i.InstanceId == image.InstanceId && i.State == ImageStates.Available && i.CreationDate != DateTimeOffset.MinValue)
                .OrderByDescending(i => i.BackupTime).ThenBy(i => i.ImageId, StringComparer.Ordinal)
                .Select(i => new BackupPoint(i.ImageId, i.BackupTime)).ToList();
            var decision = RetentionEngine.Apply(timeline, policy, settings.RetentionTimeZone).Single(d => d.Id == image.ImageId);
            Assert.False(decision.Keep, $"{image.ImageId} was retired although its recorded policy {policy} keeps it ({string.Join(", ", decision.Reasons)})");
        }
    });

    /// <summary>Metamorphic: an instance's override tag changing (or the instance going away) never changes the fate of a backup that recorded its policy.</summary>
    [Property(MaxTest = Cases / 2)]
    public Property Build_WhenInstancesLoseTheirOverridesOrVanish_KeepsEveryBackupThatRecordedAPolicyAsBefore() =>
        Prop.ForAll(SafetyWorlds.Arbitrary, world =>
        {
            // Without the deletion budget: fewer judgeable backups can bring an over-budget plan (which keeps all) under it.
            var settings = world.Settings() with { MaxRetirePerRun = 100_000 };
            var scope = SafetyWorld.PruneScope(SafetyWorld.Now);
            var before = Planner.Build(settings, world.Inventory(), scope, world.Truth());
            var decommissioned = world with { Instances = [] };
            var after = Planner.Build(settings, decommissioned.Inventory(), scope, decommissioned.Truth());

            var recorded = world.Images.Where(i => SafetyWorld.IsOwnedBackup(i) && i.RecordedPolicy is not null && RetentionPolicy.TryParse(i.RecordedPolicy, out _, out _))
                .Select(i => i.ImageId).ToHashSet(StringComparer.Ordinal);
            var keptBefore = before.Kept.Select(k => k.ImageId).Where(recorded.Contains).ToHashSet(StringComparer.Ordinal);
            var keptAfter = after.Kept.Select(k => k.ImageId).Where(recorded.Contains).ToHashSet(StringComparer.Ordinal);
            Assert.Subset(keptAfter, keptBefore);
            // A failed image is no backup whatever its policy; an available one without a recorded policy stays.
            Assert.DoesNotContain(after.Retirements, r => world.Image(r.ImageId) is { RecordedPolicy: null, State: ImageStates.Available });
        });

    [Property(MaxTest = Cases)]
    public Property Build_NeverRetiresASourceBackupWhoseDrCopyIsPending() => PlannerSafetyProperties.ForEveryPlan((world, _, plan) =>
    {
        var pendingCopies = world.Images
            .Where(i => i.Region == SafetyWorld.Dr && SafetyWorld.IsOwnedBackup(i) && i.State == ImageStates.Pending)
            .Select(i => i.SourceImageId!)
            .ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(plan.Retirements, r => r.Region == SafetyWorld.Source && pendingCopies.Contains(r.ImageId));
    });
}
