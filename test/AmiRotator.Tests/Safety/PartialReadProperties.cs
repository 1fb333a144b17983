using AmiRotator.Inventory;
using AmiRotator.Planning;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace AmiRotator.Tests.Safety;

/// <summary>
/// A listing that failed after every retry fails only what depends on it, and never makes the plan bolder: over
/// generated worlds, a plan made with a part unread retires, sweeps and copies nothing the full read would not,
/// and each step that needs the missing part does nothing at all.
/// </summary>
public sealed class PartialReadProperties
{
    private const int Cases = 300;

    private static readonly InventoryPart[][] Gaps =
    [
        [InventoryPart.Instances],
        [InventoryPart.SourceSnapshots],
        [InventoryPart.DrImages],
        [InventoryPart.DrSnapshots],
        [InventoryPart.Instances, InventoryPart.DrImages],
        [InventoryPart.Instances, InventoryPart.SourceSnapshots, InventoryPart.DrImages, InventoryPart.DrSnapshots],
    ];

    [Property(MaxTest = Cases)]
    public Property Build_WithAPartUnread_IsNeverBolderThanWithEverythingRead() => ForEveryGap((world, gap, full, partial) =>
    {
        var fullCandidates = full.Candidates.Select(c => c.ImageId).ToHashSet(StringComparer.Ordinal);
        Assert.All(partial.Candidates, c => Assert.Contains(c.ImageId, fullCandidates));
        var fullSweep = full.SnapshotDeletions.Select(d => d.SnapshotId).ToHashSet(StringComparer.Ordinal);
        Assert.All(partial.SnapshotDeletions, d => Assert.Contains(d.SnapshotId, fullSweep));
        var fullCopies = full.Copies.Select(c => c.SourceImageId).ToHashSet(StringComparer.Ordinal);
        Assert.All(partial.Copies, c => Assert.Contains(c.SourceImageId, fullCopies));
        var fullAdoptions = full.Adoptions.SelectMany(a => a.ResourceIds).ToHashSet(StringComparer.Ordinal);
        Assert.All(partial.Adoptions.SelectMany(a => a.ResourceIds), id => Assert.Contains(id, fullAdoptions));
    });

    [Property(MaxTest = Cases)]
    public Property Build_WithAPartUnread_SkipsEveryStepThatNeedsIt() => ForEveryGap((world, gap, _, partial) =>
    {
        if (gap.Contains(InventoryPart.Instances))
        {
            // Which instances to back up, and the DR policy their copies record, are unknown.
            Assert.Empty(partial.Backups);
            Assert.Empty(partial.Copies);
            Assert.Empty(partial.Adoptions);
        }

        if (gap.Contains(InventoryPart.DrImages))
        {
            // Any source backup may have a copy in progress there: none is retired, and nothing is copied blind.
            Assert.Empty(partial.Copies);
            Assert.DoesNotContain(partial.Candidates, c => c.Region == SafetyWorld.Dr);
            Assert.DoesNotContain(partial.Candidates, c => c.Region == SafetyWorld.Source && world.Image(c.ImageId).State == ImageStates.Available);
            Assert.DoesNotContain(partial.SnapshotDeletions, d => d.Region == SafetyWorld.Dr);
        }

        foreach (var (part, region) in new[] { (InventoryPart.SourceSnapshots, SafetyWorld.Source), (InventoryPart.DrSnapshots, SafetyWorld.Dr) })
        {
            if (gap.Contains(part))
            {
                Assert.DoesNotContain(partial.SnapshotDeletions, d => d.Region == region);
                Assert.DoesNotContain(partial.Adoptions, a => a.Region == region);
            }
        }
    });

    [Property(MaxTest = Cases)]
    public Property Build_WithoutTheSourceImages_PlansNothing() => Prop.ForAll(SafetyWorlds.Arbitrary, world =>
    {
        var inventory = world.Inventory() with
        {
            Source = new RegionInventory(SafetyWorld.Source, [], []),
            Unread = [new ReadFailure(InventoryPart.SourceImages, SafetyWorld.Source, "DescribeImages", "RequestLimitExceeded: Request limit exceeded.")],
        };
        var plan = Planner.Build(world.Settings(), inventory, FullScope(), world.Truth());
        Assert.Empty(plan.Backups);
        Assert.Empty(plan.Copies);
        Assert.Empty(plan.Adoptions);
        Assert.Empty(plan.Candidates);
        Assert.Empty(plan.SnapshotDeletions);
    });

    [Fact]
    public void WhatWaits_NamesWhatIsLeftUndone_ForEveryPart()
    {
        foreach (var part in Enum.GetValues<InventoryPart>())
        {
            Assert.DoesNotContain("skipped", Planner.WhatWaits(part), StringComparison.Ordinal); // not the fallback
        }
    }

    private static PassScope FullScope() => new(Backup: true, Copy: true, Prune: true, SafetyWorld.Now, SafetyWorld.Now);

    /// <summary>The world's inventory with the gap's parts unread: what the reader hands the planner when they fail.</summary>
    private static Inventory.Inventory WithGap(Inventory.Inventory inventory, InventoryPart[] gap)
    {
        var result = inventory with { Unread = [.. gap.Select(p => new ReadFailure(p, "?", "Describe", "InternalError: An internal error has occurred."))] };
        foreach (var part in gap)
        {
            result = part switch
            {
                InventoryPart.Instances => result with { Instances = [] },
                InventoryPart.SourceSnapshots => result with { Source = result.Source with { ManagedSnapshots = [] } },
                InventoryPart.DrImages => result with { Dr = null },
                InventoryPart.DrSnapshots when result.Dr is { } dr => result with { Dr = dr with { ManagedSnapshots = [] } },
                _ => result,
            };
        }

        return result;
    }

    private static Property ForEveryGap(Action<SafetyWorld, InventoryPart[], Plan, Plan> check) =>
        Prop.ForAll(SafetyWorlds.Arbitrary, world =>
        {
            var settings = world.Settings();
            var inventory = world.Inventory();
            var references = world.Truth();
            var full = Planner.Build(settings, inventory, FullScope(), references);
            foreach (var gap in Gaps)
            {
                check(world, gap, full, Planner.Build(settings, WithGap(inventory, gap), FullScope(), references));
            }
        });
}
