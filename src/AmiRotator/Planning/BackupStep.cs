using AmiRotator.Configuration;
using AmiRotator.Inventory;

namespace AmiRotator.Planning;

/// <summary>
/// Step 1: a backup of every tagged instance (or exactly the instances an on-demand backup names) that has none for
/// this scheduled time yet. CreateImage has no ClientToken, so the name is the idempotency key; a manual backup with
/// no idempotency token is also held back while the instance's newest backup is younger than the manual-run window.
/// </summary>
internal static class BackupStep
{
    public static void Plan(Settings settings, Inventory.Inventory inventory, PassScope scope, PlanBuilder plan)
    {
        if (inventory.Missing(InventoryPart.Instances))
        {
            return; // which instances to back up is unknown; the read failure is reported
        }

        var region = inventory.Source.Region;
        var namesTaken = new Dictionary<string, Ec2Image>(StringComparer.Ordinal);
        foreach (var image in inventory.Source.Images.Where(i => i.State != ImageStates.Deregistered))
        {
            namesTaken.TryAdd(image.Name, image);
        }

        // Backups made before owners were recorded count too: the first pass after an upgrade must not back up again
        // what the old version already backed up for the same scheduled time.
        var backupsOf = Ownership.OwnedBackups(inventory.Source, settings, inventory.AccountId, isDr: false)
            .Concat(Ownership.LegacyBackups(inventory.Source, settings, inventory.AccountId, isDr: false))
            .Where(i => i.InstanceId is not null)
            .ToLookup(i => i.InstanceId!, StringComparer.Ordinal);

        foreach (var instance in Targets(settings, inventory, scope, plan, region))
        {
            if (instance.State is not ("running" or "stopped"))
            {
                plan.Skipped.Add(new Skip(instance.InstanceId, region, instance.InstanceId, $"instance is {instance.State}; only running or stopped instances are backed up"));
                continue;
            }

            var time = scope.ScheduledTime ?? scope.Now;
            var name = scope.Manual
                ? BackupNaming.Manual(instance.InstanceId, scope.Now, settings.Owner, scope.RequestId, scope.IdempotencyToken)
                : BackupNaming.Scheduled(instance.InstanceId, time, settings.Owner);
            if (namesTaken.TryGetValue(name, out var existing))
            {
                plan.Skipped.Add(new Skip(instance.InstanceId, region, instance.InstanceId, $"backup {name} already exists ({existing.ImageId}, {existing.State})"));
                continue;
            }

            if (AlreadyBackedUp(scope, backupsOf[instance.InstanceId], time) is { } reason)
            {
                plan.Skipped.Add(new Skip(instance.InstanceId, region, instance.InstanceId, reason));
                continue;
            }

            plan.Backups.Add(NewImages.Backup(settings, instance, name, time,
                scope.Manual ? "on-demand backup" : $"no backup yet for {BackupNaming.TimeTag(time)}"));
        }
    }

    private static IEnumerable<Ec2Instance> Targets(Settings settings, Inventory.Inventory inventory, PassScope scope, PlanBuilder plan, string region)
    {
        var byId = inventory.Instances.ToDictionary(i => i.InstanceId, StringComparer.Ordinal);
        if (scope.OnDemand)
        {
            foreach (var missing in scope.InstanceIds!.Where(id => !byId.ContainsKey(id)).Order(StringComparer.Ordinal))
            {
                plan.Failures.Add(new Failure(missing, region, missing, $"instance {missing} was not found in {region}"));
            }

            return scope.InstanceIds!.Where(byId.ContainsKey).Select(id => byId[id]).OrderBy(i => i.InstanceId, StringComparer.Ordinal);
        }

        var targets = inventory.Instances.Where(i => i.Tags.GetValueOrDefault(settings.BackupTag.Key) == settings.BackupTag.Value);
        if (scope.InstanceIds is { } only)
        {
            foreach (var missing in only.Where(id => !byId.ContainsKey(id)).Order(StringComparer.Ordinal))
            {
                plan.Skipped.Add(new Skip(missing, region, missing, $"not a tagged ({settings.BackupTag}) running or stopped instance in {region}"));
            }

            targets = targets.Where(i => only.Contains(i.InstanceId));
        }

        return targets.OrderBy(i => i.InstanceId, StringComparer.Ordinal);
    }

    private static string? AlreadyBackedUp(PassScope scope, IEnumerable<Ec2Image> backups, DateTimeOffset time)
    {
        if (!scope.Manual)
        {
            var tag = BackupNaming.TimeTag(time);
            return backups.FirstOrDefault(b => b.Tags.GetValueOrDefault(ManagedTags.ScheduledTime) == tag) is { } same
                ? $"backup {same.Name} ({same.ImageId}) already exists for {tag}"
                : null;
        }

        // [aws/aws-cli#2657] A synchronous invoke is retried by the CLI after 60 s with a new request id: without a
        // token that retry would look like a new request.
        if (scope.IdempotencyToken is not null)
        {
            return null;
        }

        // A manual run holds back after any backup; the backup action, which names its instances on purpose, only
        // after a manual one (a scheduled backup minutes ago is no reason to refuse the one asked for now).
        var recent = backups.Where(b => !b.IsFailed && scope.Now - b.CreationDate < Settings.ManualRunWindow)
            .Where(b => !scope.OnDemand || b.Name.Contains("-manual-", StringComparison.Ordinal))
            .OrderByDescending(b => b.CreationDate).FirstOrDefault();
        return recent is null
            ? null
            : $"backed up {Math.Max(0, (int)(scope.Now - recent.CreationDate).TotalMinutes)} min ago ({recent.ImageId}): a manual backup without an idempotencyToken " +
              $"is not repeated within {Settings.ManualRunWindow.TotalMinutes:0} minutes, so a retried invocation makes no second backup; pass a new idempotencyToken to back up again";
    }
}
