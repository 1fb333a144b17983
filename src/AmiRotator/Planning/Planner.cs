using AmiRotator.Configuration;
using AmiRotator.Inventory;

namespace AmiRotator.Planning;

/// <summary>
/// The pure heart of a pass: inventory + settings + scope (+ what uses the candidates) in, a <see cref="Plan"/>
/// out. No network, no clock. It walks the steps in order (back up, copy, adopt, retain, sweep), each in a file
/// of its own; the safety rules live in them and nowhere else, so they can be tested as properties. This file
/// adds the one rule over all of them: the deletion budget.
/// </summary>
internal static class Planner
{
    /// <summary>
    /// Plans a pass. Call once with <paramref name="references"/> null to learn the retirement candidates
    /// (<see cref="Plan.Candidates"/>), look up what uses them, then call again with the answer: only the second
    /// plan may be executed, because without references every candidate is treated as possibly in use.
    /// </summary>
    public static Plan Build(Settings settings, Inventory.Inventory inventory, PassScope scope, ImageReferences? references)
    {
        var plan = new PlanBuilder();
        if (inventory.Missing(InventoryPart.SourceImages))
        {
            // Every step judges the source's backups: without them nothing can be decided safely.
            return new Plan([], [], [], [], [], [], [], null, [], []);
        }

        if (scope.Backup)
        {
            BackupStep.Plan(settings, inventory, scope, plan);
        }

        if (scope.Copy)
        {
            CopyStep.Plan(settings, inventory, scope, plan);
        }

        string? budgetExceeded = null;
        var retirements = new List<RetireAction>();
        if (scope.Prune)
        {
            AdoptionStep.Plan(settings, inventory, scope, plan);
            RetentionStep.Plan(settings, inventory, scope, references, inventory.Source, isDr: false, plan);
            if (inventory.Dr is { } dr)
            {
                RetentionStep.Plan(settings, inventory, scope, references, dr, isDr: true, plan);
            }

            LockStep.Plan(settings, inventory, scope, plan);
            DeprecationStep.Plan(settings, inventory, scope, plan);
            budgetExceeded = ApplyBudget(settings, inventory, plan, retirements);
            SweepStep.Plan(settings, scope, inventory.Source, isDr: false, plan, inventory.Missing(InventoryPart.SourceLocks));
            if (inventory.Dr is { } drRegion)
            {
                SweepStep.Plan(settings, scope, drRegion, isDr: true, plan, inventory.Missing(InventoryPart.DrLocks));
            }
        }

        return new Plan(plan.Backups, plan.Copies, retirements, plan.SnapshotDeletions, plan.Kept, plan.Skipped, plan.Failures, budgetExceeded, plan.Candidates, plan.Adoptions, plan.CopiesWaiting, plan.SourcesPending, plan.Locks, plan.Deprecations);
    }

    /// <summary>What a pass leaves undone when <paramref name="part"/> could not be read; each step checks it itself.</summary>
    public static string WhatWaits(InventoryPart part) => part switch
    {
        InventoryPart.SourceImages => "nothing was planned: every step judges the source Region's backups",
        InventoryPart.Instances => "no backups, DR copies or adoptions this pass; retention went on (a backup without a recorded policy is kept)",
        InventoryPart.SourceSnapshots or InventoryPart.DrSnapshots => "no orphaned snapshots swept and no adoptions in this Region this pass",
        InventoryPart.SourceLocks or InventoryPart.DrLocks => "no retirements, orphan sweeps or snapshot locks in this Region this pass: a locked snapshot can't be deleted",
        InventoryPart.DrImages => "no DR copies and no DR retention this pass; source backups that retention would retire were kept, as a copy of them may be in progress",
        _ => "the steps that need it were skipped",
    };

    /// <summary>The default deletion budget of a Region: a normal night retires about one image per instance there.</summary>
    public static int AutoBudget(RegionInventory region, Settings settings, string accountId, bool isDr) =>
        10 + (2 * Ownership.OwnedBackups(region, settings, accountId, isDr).Select(i => i.InstanceId).Where(i => i is not null).Distinct(StringComparer.Ordinal).Count());

    // A mistaken policy or a clock problem must not wipe out a fleet's history in one night: over the budget, nothing
    // in that pass is retired and the pass fails loudly.
    private static string? ApplyBudget(Settings settings, Inventory.Inventory inventory, PlanBuilder plan, List<RetireAction> retirements)
    {
        var overBudget = new List<string>();
        foreach (var region in plan.Candidates.GroupBy(c => c.Region, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var isDr = region.Key != inventory.Source.Region;
            var budget = settings.MaxRetirePerRun ?? AutoBudget(isDr ? inventory.Dr! : inventory.Source, settings, inventory.AccountId, isDr);
            if (region.Count() > budget)
            {
                overBudget.Add($"{region.Count()} images in {region.Key} but MAX_RETIRE_PER_RUN allows {budget}");
            }
        }

        if (overBudget.Count == 0)
        {
            retirements.AddRange(plan.Candidates);
            return null;
        }

        plan.Kept.AddRange(plan.Candidates.Select(c => new KeepDecision(c.ImageId, c.Region, c.InstanceId, c.CreationDate, ["deletion budget exceeded"])));
        return $"The plan would retire {string.Join(" and ", overBudget)}" +
               $"{(settings.MaxRetirePerRun is null ? " (auto: 10 + 2 per instance with backups in that Region)" : "")}; " +
               "nothing was retired. Check RETENTION/DR_RETENTION and ami-rotator:retention tags, then raise MAX_RETIRE_PER_RUN for one run if the plan is right.";
    }
}
