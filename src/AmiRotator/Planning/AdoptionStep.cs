using AmiRotator.Configuration;
using AmiRotator.Inventory;

namespace AmiRotator.Planning;

/// <summary>
/// Before retention: backups made before owners and policies were recorded. A pass adopts one (writes its owner tag,
/// and the policy its instance has now) only while its instance still carries this stack's BACKUP_TAG: that is the
/// evidence the backup is this stack's. Anything else is kept and listed, and never touched: which stack made a
/// backup of a decommissioned server, and under which policy, can no longer be told (README, "Upgrading").
/// An adopted backup is judged from the next pass on, once EC2 shows its owner.
/// </summary>
internal static class AdoptionStep
{
    public static void Plan(Settings settings, Inventory.Inventory inventory, PassScope scope, PlanBuilder plan)
    {
        // The instance's BACKUP_TAG is the evidence, and an adoption tags the image's snapshots too: without either read, wait.
        if (inventory.Missing(InventoryPart.Instances))
        {
            return;
        }

        var instances = inventory.Instances
            .Where(i => i.Tags.GetValueOrDefault(settings.BackupTag.Key) == settings.BackupTag.Value)
            .ToDictionary(i => i.InstanceId, StringComparer.Ordinal);
        foreach (var (region, isDr) in new[] { (inventory.Source, false), (inventory.Dr, true) })
        {
            if (region is not null && !inventory.Missing(isDr ? InventoryPart.DrSnapshots : InventoryPart.SourceSnapshots))
            {
                PlanRegion(settings, inventory, scope, instances, region, isDr, plan);
            }
        }
    }

    private static void PlanRegion(Settings settings, Inventory.Inventory inventory, PassScope scope, Dictionary<string, Ec2Instance> instances, RegionInventory region, bool isDr, PlanBuilder plan)
    {
        var legacySnapshots = region.ManagedSnapshots
            .Where(s => s.Owner is null && Ownership.IsSnapshotOfOurKind(s, settings, isDr))
            .ToDictionary(s => s.SnapshotId, StringComparer.Ordinal);
        var claimed = new HashSet<string>(StringComparer.Ordinal);

        foreach (var image in Ownership.LegacyBackups(region, settings, inventory.AccountId, isDr).OrderBy(i => i.ImageId, StringComparer.Ordinal))
        {
            if (!scope.Covers(image.InstanceId))
            {
                continue;
            }

            if (image.InstanceId is not { } instanceId || !instances.TryGetValue(instanceId, out var instance))
            {
                plan.Kept.Add(new KeepDecision(image.ImageId, region.Region, image.InstanceId, image.BackupTime,
                    [$"made before owners were recorded, and its instance is gone or no longer tagged {settings.BackupTag}: not adopted; kept until adopted by hand (README, \"Upgrading\")"]));
                continue;
            }

            var snapshots = image.SnapshotIds.Where(legacySnapshots.ContainsKey).ToList();
            claimed.UnionWith(snapshots);
            plan.Adoptions.Add(new AdoptAction(image.ImageId, region.Region, instanceId, [image.ImageId, .. snapshots], Tags(settings, instance, isDr),
                $"made before owners were recorded; {instanceId} carries {settings.BackupTag}"));
            plan.Kept.Add(new KeepDecision(image.ImageId, region.Region, instanceId, image.BackupTime, ["adopted by this pass; judged from the next pass on"]));
        }

        // A snapshot of ours whose image is gone: adopted the same way, so the sweep may delete it from the next pass on.
        var used = region.Images.Where(i => i.HoldsSnapshots).SelectMany(i => i.SnapshotIds).ToHashSet(StringComparer.Ordinal);
        foreach (var snapshot in legacySnapshots.Values.Where(s => !claimed.Contains(s.SnapshotId) && !used.Contains(s.SnapshotId)).OrderBy(s => s.SnapshotId, StringComparer.Ordinal))
        {
            if (scope.Covers(snapshot.InstanceId) && snapshot.InstanceId is { } instanceId && instances.ContainsKey(instanceId))
            {
                plan.Adoptions.Add(new AdoptAction(snapshot.SnapshotId, region.Region, instanceId, [snapshot.SnapshotId],
                    new Dictionary<string, string>(StringComparer.Ordinal) { [ManagedTags.Owner] = settings.Owner },
                    $"snapshot made before owners were recorded; {instanceId} carries {settings.BackupTag}"));
            }
        }
    }

    // The policy recorded on adoption is the one its instance has now: what the old version would have judged it by.
    private static SortedDictionary<string, string> Tags(Settings settings, Ec2Instance instance, bool isDr)
    {
        var tags = new SortedDictionary<string, string>(StringComparer.Ordinal) { [ManagedTags.Owner] = settings.Owner };
        if (RecordedPolicies.Effective(settings, instance, isDr).Policy is { } policy)
        {
            tags[ManagedTags.Policy] = policy.ToString();
        }

        if (!isDr && settings.DrRegion is not null && RecordedPolicies.Effective(settings, instance, isDr: true).Policy is { } drPolicy)
        {
            tags[ManagedTags.DrPolicy] = drPolicy.ToString();
        }

        return tags;
    }
}
