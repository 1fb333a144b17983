using AmiRotator.Configuration;
using AmiRotator.Inventory;
using AmiRotator.Retention;

namespace AmiRotator.Planning;

/// <summary>
/// Step 3: which of our backups in one Region retention retires. Each backup is judged by the policy it recorded.
/// Never retired: a pinned or deregistration-protected image, a pending one, one still in use, an instance's newest
/// available backup, a source whose DR copy is still pending, one whose policy can't be told, or one with a locked
/// snapshot (nobody can delete it before the lock expires [ebs-snapshot-lock]: retiring the image would orphan it).
/// </summary>
internal static class RetentionStep
{
    private const string RetentionScope = "retention";

    private const string LocksUnreadable = "snapshot locks unreadable: a locked snapshot can't be deleted";

    public static void Plan(Settings settings, Inventory.Inventory inventory, PassScope scope, ImageReferences? references, RegionInventory region, bool isDr, PlanBuilder plan)
    {
        var instances = inventory.Instances.ToDictionary(i => i.InstanceId, StringComparer.Ordinal);
        var owned = Ownership.OwnedBackups(region, settings, inventory.AccountId, isDr)
            .Where(i => scope.Covers(i.InstanceId));

        // A failed DR copy whose retry has not started yet is the only trace of the failure the copy step needs,
        // as long as its source is still there to retry from.
        var drCopies = !isDr && inventory.Dr is { } dr ? Ownership.OwnedBackups(dr, settings, inventory.AccountId, isDr: true).ToList() : [];
        var copyInProgress = drCopies.Where(c => c.IsPending).Select(c => c.SourceImageId!).ToHashSet(StringComparer.Ordinal);
        // A DR Region that could not be read may hold a copy in progress of any source backup.
        var drUnread = !isDr && settings.DrRegion is not null && inventory.Missing(InventoryPart.DrImages);
        var goodCopySources = isDr
            ? region.Images.Where(i => i.IsManaged && CopyStep.IsHealthyCopy(i) && i.SourceImageId is not null).Select(i => i.SourceImageId!).ToHashSet(StringComparer.Ordinal)
            : [];
        // Without the Region's locks a retirement might meet a locked snapshot and leave it orphaned.
        var locksUnread = inventory.Missing(isDr ? InventoryPart.DrLocks : InventoryPart.SourceLocks);
        var liveSources = isDr
            ? inventory.Source.Images.Where(i => i.IsAvailable).Select(i => i.ImageId).ToHashSet(StringComparer.Ordinal)
            : [];

        foreach (var group in owned.GroupBy(i => i.InstanceId ?? "").OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var instanceId = group.Key.Length == 0 ? null : group.Key;
            if (instanceId is null)
            {
                plan.Kept.AddRange(group.Select(i => Keep(i, "no ami-rotator:instance-id tag")));
                continue;
            }

            var instance = instances.GetValueOrDefault(instanceId);
            var judgements = group.ToDictionary(i => i.ImageId, i => RecordedPolicies.For(i, settings, instance, isDr), StringComparer.Ordinal);
            foreach (var problem in judgements.Values.Where(j => j.IsFailure).Select(j => j.Problem!).Distinct(StringComparer.Ordinal))
            {
                plan.Failures.Add(new Failure(instanceId, region.Region, instanceId, $"{RetentionScope}: {problem}; the backups it concerns were kept"));
            }

            // Without a creation date an image can't be placed in time, so retention can't judge it.
            plan.Kept.AddRange(group.Where(i => i.IsAvailable && i.BackupTime == DateTimeOffset.MinValue).Select(i => Keep(i, "creation date unknown")));

            var available = Ownership.NewestFirst(group.Where(i => i.IsAvailable && i.BackupTime != DateTimeOffset.MinValue)).ToList();
            var newest = available.FirstOrDefault();
            var decisions = RecordedPolicies.Judge(available, i => judgements[i.ImageId].Policy, settings.RetentionTimeZone);

            foreach (var image in available)
            {
                if (judgements[image.ImageId] is { Policy: null } unjudged)
                {
                    plan.Kept.Add(Keep(image, unjudged.Problem!));
                    continue;
                }

                var reasons = new List<string>(decisions[image.ImageId].Reasons);
                reasons.AddRange(Protections(image));
                reasons.AddRange(Locked(region, image, scope.Now));
                if (ReferenceEquals(image, newest))
                {
                    reasons.Add("newest");
                }

                if (copyInProgress.Contains(image.ImageId))
                {
                    // If that copy fails, this is the only complete backup the DR Region can be copied from again.
                    reasons.Add("DR copy in progress");
                }

                if (reasons.Count > 0)
                {
                    plan.Kept.Add(new KeepDecision(image.ImageId, region.Region, instanceId, image.BackupTime, reasons));
                    continue;
                }

                if (drUnread)
                {
                    plan.Kept.Add(Keep(image, "DR Region unreadable: a copy of it may be in progress"));
                    continue;
                }

                if (locksUnread)
                {
                    plan.Kept.Add(Keep(image, LocksUnreadable));
                    continue;
                }

                if (InUse(references, image.ImageId) is { } inUse)
                {
                    plan.Kept.Add(Keep(image, inUse));
                    continue;
                }

                plan.Candidates.Add(Retire(image, region.Region, $"outside its policy {judgements[image.ImageId].Policy}"));
            }

            foreach (var image in group.Where(i => !i.IsAvailable).OrderBy(i => i.ImageId, StringComparer.Ordinal))
            {
                if (copyInProgress.Contains(image.ImageId))
                {
                    plan.Kept.Add(Keep(image, "DR copy in progress"));
                    continue;
                }

                if (drUnread && !image.IsPending)
                {
                    // Whatever the DR Region could show about it (a copy in progress) is unknown: keep it like one.
                    plan.Kept.Add(Keep(image, "DR Region unreadable: a copy of it may be in progress"));
                    continue;
                }

                if (image.IsFailed && (locksUnread ? [LocksUnreadable] : Locked(region, image, scope.Now).ToList()) is { Count: > 0 } lockReasons)
                {
                    plan.Kept.Add(new KeepDecision(image.ImageId, region.Region, instanceId, image.BackupTime, lockReasons));
                    continue;
                }

                PlanUnavailable(image, isDr, references, goodCopySources, liveSources, region, plan);
            }
        }
    }

    private static void PlanUnavailable(Ec2Image image, bool isDr, ImageReferences? references, HashSet<string> goodCopySources, HashSet<string> liveSources, RegionInventory region, PlanBuilder plan)
    {
        if (image.IsPending)
        {
            plan.Kept.Add(Keep(image, "pending"));
        }
        else if (image.IsFailed && Protections(image).FirstOrDefault() is { } protection)
        {
            plan.Kept.Add(Keep(image, protection));
        }
        else if (image.IsFailed && isDr && !goodCopySources.Contains(image.SourceImageId ?? "") && liveSources.Contains(image.SourceImageId ?? ""))
        {
            plan.Kept.Add(Keep(image, "failed copy; kept until its retry copy exists"));
        }
        else if (image.IsFailed && InUse(references, image.ImageId) is { } inUse)
        {
            // A launch template may still name a failed image; deregistering it would change what that template means.
            plan.Kept.Add(Keep(image, inUse));
        }
        else if (image.IsFailed)
        {
            plan.Candidates.Add(Retire(image, region.Region, $"image is {image.State}, not a usable backup"));
        }
        else
        {
            plan.Kept.Add(Keep(image, $"image is {image.State}"));
        }
    }

    // [API_DeregisterImage] fails while deregistration protection is on: to the planner that is a pin set in EC2.
    private static IEnumerable<string> Protections(Ec2Image image)
    {
        if (image.IsPinned)
        {
            yield return "pinned";
        }

        if (image.IsDeregistrationProtected)
        {
            yield return $"deregistration protection {image.DeregistrationProtection}";
        }
    }

    private static IEnumerable<string> Locked(RegionInventory region, Ec2Image image, DateTimeOffset now) =>
        region.LocksOn(image, now).OrderBy(l => l.SnapshotId, StringComparer.Ordinal).Select(l => $"snapshot {l.Describe()}: it can't be deleted before then");

    private static string? InUse(ImageReferences? references, string imageId)
    {
        if (references is null)
        {
            return null; // first planning round: collect candidates, the caller checks them
        }

        if (!references.Checked.TryGetValue(imageId, out var arns))
        {
            return $"in-use check unavailable{(references.Unavailable is null ? "" : $" ({references.Unavailable})")}";
        }

        return arns.Count == 0 ? null : $"in use by {string.Join(", ", arns.Select(ShortArn))}";
    }

    private static string ShortArn(string arn)
    {
        // arn:aws:ec2:us-east-1:123456789012:launch-template/lt-0abc/3 -> lt-0abc/3
        var slash = arn.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? arn : arn[(slash + 1)..];
    }

    private static KeepDecision Keep(Ec2Image image, string reason) =>
        new(image.ImageId, image.Region, image.InstanceId, image.BackupTime, [reason]);

    private static RetireAction Retire(Ec2Image image, string region, string reason) =>
        new(image.ImageId, region, image.InstanceId, image.Name, image.BackupTime, image.SnapshotIds, [reason]);
}
