using AmiRotator.Inventory;
using AmiRotator.Planning;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace AmiRotator.Tests.Safety;

/// <summary>
/// The planner's safety rules, each checked on every generated world and on every plan the pass can build from it:
/// the first-round plan (references not yet known), the plan with the full DescribeImageReferences answer, and the
/// plan with the answer as generated (sometimes partial, sometimes unavailable). Each rule is its own property, so
/// a broken rule names itself.
/// </summary>
public sealed class PlannerSafetyProperties
{
    private const int Cases = 1000;

    [Property(MaxTest = Cases)]
    public Property Build_RetiresOnlyManagedImages() => ForEveryRetirement((world, _, image) =>
        Assert.True(image.Tags.GetValueOrDefault(ManagedTags.Managed) == ManagedTags.ManagedValue, $"{image.ImageId} is not managed"));

    [Property(MaxTest = Cases)]
    public Property Build_RetiresOnlyImagesOfTheAccount() => ForEveryRetirement((world, _, image) =>
        Assert.True(image.OwnerId == SafetyWorld.Account, $"{image.ImageId} belongs to {image.OwnerId}"));

    [Property(MaxTest = Cases)]
    public Property Build_RetiresOnlyImagesThePassIsResponsibleFor() => ForEveryRetirement((world, retire, image) =>
    {
        Assert.Equal(image.Region, retire.Region);
        if (image.Region == SafetyWorld.Dr)
        {
            Assert.True(image.Tags.ContainsKey(ManagedTags.SourceImageId), $"{image.ImageId} in the DR Region is not a copy");
            Assert.True(image.Tags.GetValueOrDefault(ManagedTags.SourceRegion) == SafetyWorld.Source, $"{image.ImageId} is a copy from {image.SourceRegion}");
        }
        else
        {
            Assert.False(image.Tags.ContainsKey(ManagedTags.SourceImageId), $"{image.ImageId} in the source Region is a copy from {image.SourceRegion}");
        }

        Assert.Equal(image.SnapshotIds, retire.SnapshotIds);
    });

    [Property(MaxTest = Cases)]
    public Property Build_NeverRetiresAPinnedImage() => ForEveryRetirement((world, _, image) =>
        Assert.False(string.Equals(image.Tags.GetValueOrDefault(ManagedTags.Keep), "true", StringComparison.OrdinalIgnoreCase), $"{image.ImageId} is pinned"));

    [Property(MaxTest = Cases)]
    public Property Build_NeverRetiresAPendingImage() => ForEveryRetirement((world, _, image) =>
        Assert.True(image.State != ImageStates.Pending, $"{image.ImageId} is pending"));

    [Property(MaxTest = Cases)]
    public Property Build_NeverRetiresAnAvailableBackupItCannotDate() => ForEveryRetirement((world, _, image) =>
        Assert.False(image.State == ImageStates.Available && image.CreationDate == DateTimeOffset.MinValue, $"{image.ImageId} has no creation date"));

    [Property(MaxTest = Cases)]
    public Property Build_KeepsTheNewestAvailableBackupOfEachInstanceInEachRegion() => ForEveryPlan((world, _, plan) =>
    {
        var retired = plan.Retirements.Select(r => r.ImageId).ToHashSet(StringComparer.Ordinal);
        var groups = world.Images
            .Where(i => SafetyWorld.IsOwnedBackup(i) && i.State == ImageStates.Available && i.CreationDate != DateTimeOffset.MinValue && i.InstanceId is not null)
            .GroupBy(i => (i.Region, i.InstanceId));
        foreach (var group in groups)
        {
            var newest = group.Max(i => i.CreationDate);
            Assert.True(
                group.Any(i => i.CreationDate == newest && !retired.Contains(i.ImageId)),
                $"every newest backup of {group.Key.InstanceId} in {group.Key.Region} ({newest:O}) is retired");
        }
    });

    [Property(MaxTest = Cases)]
    public Property Build_RetiresOnlyImagesCheckedAndFoundUnused() => ForEveryPlan((world, references, plan) =>
    {
        if (references is null)
        {
            return; // the first round only names candidates; ReconcilePass never executes it
        }

        foreach (var retire in plan.Retirements)
        {
            Assert.False(world.IsReferenced(retire.ImageId), $"{retire.ImageId} is in use by {string.Join(", ", world.References.GetValueOrDefault(retire.ImageId) ?? [])}");
            Assert.True(references.Checked.TryGetValue(retire.ImageId, out var arns), $"{retire.ImageId} ({world.Image(retire.ImageId).State}) was retired without an in-use check");
            Assert.Empty(arns!);
        }
    });

    /// <remarks>
    /// Whether the budget counts per Region or for the whole pass, the bounds below hold: the explicit budget caps
    /// every Region, the auto budgets (10 + 2 per instance with backups, per Region) cap the pass, and a plan over
    /// budget retires nothing at all.
    /// </remarks>
    [Property(MaxTest = Cases)]
    public Property Build_RetiresNothingWhenTheCandidatesExceedTheBudget() => ForEveryPlan((world, references, plan) =>
    {
        var settings = world.Settings();
        AssertWithinBudget(plan, settings.MaxRetirePerRun, AutoBudget(world));

        var tight = Planner.Build(settings with { MaxRetirePerRun = 1 }, world.Inventory(), SafetyWorld.PruneScope(SafetyWorld.Now), references);
        AssertWithinBudget(tight, 1, AutoBudget(world));
        if (tight.Candidates.GroupBy(c => c.Region).Any(g => g.Count() > 1))
        {
            Assert.Empty(tight.Retirements);
            Assert.NotNull(tight.BudgetExceeded);
        }
    });

    [Property(MaxTest = Cases)]
    public Property Build_KeepsOrRetiresEveryOwnedBackupExactlyOnce() => ForEveryPlan((world, _, plan) =>
    {
        // Backups made before owners were recorded are judged too: adopted (and kept this pass) or kept.
        var owned = world.Images.Where(i => SafetyWorld.IsOwnedBackup(i) || SafetyWorld.IsLegacyBackup(i)).Select(i => i.ImageId).Order(StringComparer.Ordinal);
        var judged = plan.Kept.Select(k => k.ImageId).Concat(plan.Retirements.Select(r => r.ImageId)).Order(StringComparer.Ordinal);

        Assert.Equal(owned, judged);
        Assert.All(plan.Kept, k => Assert.NotEmpty(k.Reasons));
        Assert.All(plan.Retirements, r => Assert.NotEmpty(r.Reasons));
    });

    [Property(MaxTest = Cases)]
    public Property Build_SweepsOnlyOrphanedSnapshotsOfThisRegionOlderThanTheGrace() => ForEveryPlan((world, _, plan) =>
    {
        var candidateSnapshots = plan.Candidates.SelectMany(c => c.SnapshotIds).ToHashSet(StringComparer.Ordinal);
        foreach (var deletion in plan.SnapshotDeletions)
        {
            var snapshot = Assert.Single(world.Snapshots, s => s.SnapshotId == deletion.SnapshotId);
            Assert.Equal(snapshot.Region, deletion.Region);
            Assert.True(SafetyWorld.IsOwnedSnapshot(snapshot), $"{snapshot.SnapshotId} is not a managed snapshot of this Region's backups");
            Assert.DoesNotContain(world.Images, i => i.Region == snapshot.Region && i.State != ImageStates.Deregistered && i.SnapshotIds.Contains(snapshot.SnapshotId));
            Assert.DoesNotContain(snapshot.SnapshotId, candidateSnapshots);
            Assert.NotEqual("pending", snapshot.State);
            Assert.True(SafetyWorld.Now - snapshot.StartTime >= SweepStep.OrphanGrace, $"{snapshot.SnapshotId} started {snapshot.StartTime:O}, within the grace");
        }
    });

    private static void AssertWithinBudget(Plan plan, int? explicitBudget, int autoBudget)
    {
        if (explicitBudget is { } budget)
        {
            Assert.All(plan.Retirements.GroupBy(r => r.Region), g => Assert.True(g.Count() <= budget, $"{g.Count()} retirements in {g.Key} over MAX_RETIRE_PER_RUN={budget}"));
        }
        else
        {
            Assert.True(plan.Retirements.Count <= autoBudget, $"{plan.Retirements.Count} retirements over the auto budget {autoBudget}");
        }

        if (plan.BudgetExceeded is not null)
        {
            Assert.Empty(plan.Retirements);
            Assert.All(plan.Candidates, c => Assert.Contains(plan.Kept, k => k.ImageId == c.ImageId && k.Reasons.Contains("deletion budget exceeded")));
        }
        else
        {
            Assert.Equal(plan.Candidates.Select(c => c.ImageId).Order(StringComparer.Ordinal), plan.Retirements.Select(r => r.ImageId).Order(StringComparer.Ordinal));
        }
    }

    private static int AutoBudget(SafetyWorld world) => new[] { SafetyWorld.Source, SafetyWorld.Dr }.Sum(region =>
        10 + (2 * world.Images.Where(i => i.Region == region && SafetyWorld.IsOwnedBackup(i) && i.InstanceId is not null).Select(i => i.InstanceId).Distinct().Count()));

    /// <summary>Runs <paramref name="check"/> on the first-round, full-answer and as-generated plans of every world.</summary>
    internal static Property ForEveryPlan(Action<SafetyWorld, ImageReferences?, Plan> check) =>
        Prop.ForAll(SafetyWorlds.Arbitrary, world =>
        {
            var settings = world.Settings();
            var inventory = world.Inventory();
            var scope = SafetyWorld.PruneScope(SafetyWorld.Now);
            foreach (var references in new[] { null, world.Truth(), world.AsGenerated() })
            {
                check(world, references, Planner.Build(settings, inventory, scope, references));
            }
        });

    private static Property ForEveryRetirement(Action<SafetyWorld, RetireAction, Ec2Image> check) =>
        ForEveryPlan((world, _, plan) =>
        {
            foreach (var retire in plan.Retirements)
            {
                check(world, retire, world.Image(retire.ImageId));
            }
        });
}
