using AmiRotator.Configuration;
using AmiRotator.Inventory;
using AmiRotator.Retention;

namespace AmiRotator.Planning;

/// <summary>
/// The pure heart of a pass: inventory + settings + scope (+ what uses the candidates) in, a <see cref="Plan"/>
/// out. No network, no clock. Safety rules live here and nowhere else, so they can be tested as properties:
/// only managed images of this account, never a pinned, pending or in-use image, never an instance's newest
/// available backup in a Region, and a deletion budget.
/// </summary>
internal static class Planner
{
    /// <summary>Snapshots younger than this are never called orphans: EC2's listings are eventually consistent.</summary>
    public static readonly TimeSpan OrphanGrace = TimeSpan.FromHours(2);

    private const string RetentionScope = "retention";

    /// <summary>
    /// Plans a pass. Call once with <paramref name="references"/> null to learn the retirement candidates
    /// (<see cref="Plan.Retirements"/>), look up what uses them, then call again with the answer: only the second
    /// plan may be executed, because without references every candidate is treated as possibly in use.
    /// </summary>
    public static Plan Build(Settings settings, Inventory.Inventory inventory, PassScope scope, ImageReferences? references)
    {
        var backups = new List<BackupAction>();
        var copies = new List<CopyAction>();
        var retirements = new List<RetireAction>();
        var snapshotDeletions = new List<SnapshotDeletion>();
        var kept = new List<KeepDecision>();
        var skipped = new List<Skip>();
        var failures = new List<Failure>();
        string? budgetExceeded = null;
        var candidates = new List<RetireAction>();

        if (scope.Backup)
        {
            PlanBackups(settings, inventory, scope, backups, skipped, failures);
        }

        if (scope.Copy)
        {
            PlanCopies(settings, inventory, scope, copies, skipped, failures);
        }

        if (scope.Prune)
        {
            PlanRetention(settings, inventory, scope, references, inventory.Source, isDr: false, candidates, kept, failures);
            if (inventory.Dr is { } dr)
            {
                PlanRetention(settings, inventory, scope, references, dr, isDr: true, candidates, kept, failures);
            }

            var overBudget = new List<string>();
            foreach (var region in candidates.GroupBy(c => c.Region, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var budget = settings.MaxRetirePerRun ?? AutoBudget(region.Key == inventory.Source.Region ? inventory.Source : inventory.Dr!, settings, inventory.AccountId, region.Key != inventory.Source.Region);
                if (region.Count() > budget)
                {
                    overBudget.Add($"{region.Count()} images in {region.Key} but MAX_RETIRE_PER_RUN allows {budget}");
                }
            }

            if (overBudget.Count > 0)
            {
                budgetExceeded =
                    $"The plan would retire {string.Join(" and ", overBudget)}" +
                    $"{(settings.MaxRetirePerRun is null ? " (auto: 10 + 2 per instance with backups in that Region)" : "")}; " +
                    "nothing was retired. Check RETENTION/DR_RETENTION and ami-rotator:retention tags, then raise MAX_RETIRE_PER_RUN for one run if the plan is right.";
                kept.AddRange(candidates.Select(c => new KeepDecision(c.ImageId, c.Region, c.InstanceId, c.CreationDate, ["deletion budget exceeded"])));
            }
            else
            {
                retirements.AddRange(candidates);
            }

            PlanOrphanSweep(settings, inventory, scope, inventory.Source, isDr: false, candidates, snapshotDeletions);
            if (inventory.Dr is { } drRegion)
            {
                PlanOrphanSweep(settings, inventory, scope, drRegion, isDr: true, candidates, snapshotDeletions);
            }
        }

        return new Plan(backups, copies, retirements, snapshotDeletions, kept, skipped, failures, budgetExceeded, candidates);
    }

    /// <summary>The default deletion budget of a Region: a normal night retires about one image per instance there.</summary>
    public static int AutoBudget(RegionInventory region, Settings settings, string accountId, bool isDr) =>
        10 + (2 * OwnedBackups(region, settings, accountId, isDr).Select(i => i.InstanceId).Where(i => i is not null).Distinct(StringComparer.Ordinal).Count());

    private static void PlanBackups(Settings settings, Inventory.Inventory inventory, PassScope scope, List<BackupAction> backups, List<Skip> skipped, List<Failure> failures)
    {
        var region = inventory.Source.Region;
        var namesTaken = new Dictionary<string, Ec2Image>(StringComparer.Ordinal);
        foreach (var image in inventory.Source.Images.Where(i => i.State != ImageStates.Deregistered))
        {
            namesTaken.TryAdd(image.Name, image);
        }

        var byId = inventory.Instances.ToDictionary(i => i.InstanceId, StringComparer.Ordinal);

        IEnumerable<Ec2Instance> targets;
        if (scope.OnDemand)
        {
            foreach (var missing in scope.InstanceIds!.Where(id => !byId.ContainsKey(id)).Order(StringComparer.Ordinal))
            {
                failures.Add(new Failure(missing, region, missing, $"instance {missing} was not found in {region}"));
            }

            targets = scope.InstanceIds!.Where(byId.ContainsKey).Select(id => byId[id]);
        }
        else
        {
            targets = inventory.Instances.Where(i => i.Tags.GetValueOrDefault(settings.BackupTag.Key) == settings.BackupTag.Value);
            if (scope.InstanceIds is { } only)
            {
                foreach (var missing in only.Where(id => !byId.ContainsKey(id)).Order(StringComparer.Ordinal))
                {
                    skipped.Add(new Skip(missing, region, missing, $"not a tagged ({settings.BackupTag}) running or stopped instance in {region}"));
                }

                targets = targets.Where(i => only.Contains(i.InstanceId));
            }
        }

        foreach (var instance in targets.OrderBy(i => i.InstanceId, StringComparer.Ordinal))
        {
            if (instance.State is not ("running" or "stopped"))
            {
                skipped.Add(new Skip(instance.InstanceId, region, instance.InstanceId, $"instance is {instance.State}; only running or stopped instances are backed up"));
                continue;
            }

            var time = scope.ScheduledTime ?? scope.Now;
            var name = scope.OnDemand ? BackupNaming.OnDemand(instance.InstanceId, scope.Now, scope.RequestId) : BackupNaming.Scheduled(instance.InstanceId, time);
            if (namesTaken.TryGetValue(name, out var existing))
            {
                skipped.Add(new Skip(instance.InstanceId, region, instance.InstanceId, $"backup {name} already exists ({existing.ImageId}, {existing.State})"));
                continue;
            }

            var reason = scope.OnDemand ? "on-demand backup" : $"no backup yet for {BackupNaming.TimeTag(time)}";
            backups.Add(NewImages.Backup(settings, instance, name, scope.OnDemand ? scope.Now : time, reason));
        }
    }

    private static void PlanCopies(Settings settings, Inventory.Inventory inventory, PassScope scope, List<CopyAction> copies, List<Skip> skipped, List<Failure> failures)
    {
        if (settings.DrRegion is not { } drRegion || inventory.Dr is not { } dr)
        {
            return;
        }

        var source = inventory.Source;
        var copiesBySource = dr.Images
            .Where(i => i.IsManaged && i.OwnerId == inventory.AccountId && i.SourceRegion == source.Region && i.SourceImageId is not null)
            .GroupBy(i => i.SourceImageId!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

        // The destination Region allows 300 copies in progress; the pass keeps well under that and leaves the
        // rest to the AMI-available events and the next pass.
        var inFlight = dr.Images.Count(i => i.IsManaged && i.IsPending);
        var slots = Math.Max(0, settings.MaxCopiesInFlight - inFlight);

        var owned = OwnedBackups(source, settings, inventory.AccountId, isDr: false).ToList();
        var wanted = WantedInDr(settings, inventory, owned);
        var sources = owned
            .Where(i => scope.ImageIds is null || scope.ImageIds.Contains(i.ImageId))
            .Where(i => scope.InstanceIds is null || (i.InstanceId is not null && scope.InstanceIds.Contains(i.InstanceId)))
            .OrderByDescending(i => i.CreationDate).ThenBy(i => i.ImageId, StringComparer.Ordinal);

        foreach (var image in sources)
        {
            var existing = copiesBySource.GetValueOrDefault(image.ImageId) ?? [];
            if (existing.Any(IsHealthyCopy))
            {
                continue;
            }

            if (image.IsAvailable && wanted.GetValueOrDefault(image.ImageId) is { } notWanted)
            {
                // Copying what DR retention would retire (or what the source is about to retire) would copy and
                // retire the same backup night after night.
                if (scope.ImageIds is not null)
                {
                    skipped.Add(new Skip(image.ImageId, source.Region, image.InstanceId, notWanted));
                }

                continue;
            }

            var failedCopies = existing.Count(c => c.IsFailed);
            if (failedCopies >= MaxCopyAttempts)
            {
                failures.Add(new Failure(image.ImageId, drRegion, image.InstanceId,
                    $"{failedCopies} copies of {image.ImageId} to {drRegion} failed; not retried again (check DR_KMS_KEY_ID and the key policy); pin or deregister the failed copies to retry"));
                continue;
            }

            if (!image.IsAvailable)
            {
                skipped.Add(new Skip(image.ImageId, source.Region, image.InstanceId, $"source image is {image.State}; copied once available"));
                continue;
            }

            if (slots == 0)
            {
                skipped.Add(new Skip(image.ImageId, source.Region, image.InstanceId,
                    $"copy deferred: {inFlight + copies.Count} copies in flight in {drRegion} (MAX_COPIES_IN_FLIGHT={settings.MaxCopiesInFlight}); the next pass or AMI event copies it"));
                continue;
            }

            slots--;
            var lastFailed = existing.Where(c => c.IsFailed).OrderByDescending(c => c.CreationDate).ThenBy(c => c.ImageId, StringComparer.Ordinal).FirstOrDefault();
            copies.Add(NewImages.Copy(
                settings,
                image,
                drRegion,
                // A retry is named after the copy that failed, so a second failure can never collide with the first.
                lastFailed is null ? image.Name : $"{image.Name}-retry-{lastFailed.ImageId["ami-".Length..]}",
                BackupNaming.CopyToken(image.ImageId, drRegion, settings.DrKmsKeyId, lastFailed?.ImageId),
                lastFailed is null ? $"no copy in {drRegion} yet" : $"earlier copy {lastFailed.ImageId} failed"));
        }
    }

    private static void PlanRetention(
        Settings settings,
        Inventory.Inventory inventory,
        PassScope scope,
        ImageReferences? references,
        RegionInventory region,
        bool isDr,
        List<RetireAction> candidates,
        List<KeepDecision> kept,
        List<Failure> failures)
    {
        var instances = inventory.Instances.ToDictionary(i => i.InstanceId, StringComparer.Ordinal);
        var owned = OwnedBackups(region, settings, inventory.AccountId, isDr)
            .Where(i => scope.InstanceIds is null || (i.InstanceId is not null && scope.InstanceIds.Contains(i.InstanceId)));

        // A failed DR copy whose retry has not started yet is the only trace of the failure the copy step needs,
        // as long as its source is still there to retry from.
        var goodCopySources = isDr
            ? region.Images.Where(i => i.IsManaged && IsHealthyCopy(i) && i.SourceImageId is not null).Select(i => i.SourceImageId!).ToHashSet(StringComparer.Ordinal)
            : [];
        var liveSources = isDr
            ? inventory.Source.Images.Where(i => i.IsAvailable).Select(i => i.ImageId).ToHashSet(StringComparer.Ordinal)
            : [];

        foreach (var group in owned.GroupBy(i => i.InstanceId ?? "").OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var instanceId = group.Key.Length == 0 ? null : group.Key;
            if (instanceId is null)
            {
                kept.AddRange(group.Select(i => Keep(i, "no ami-rotator:instance-id tag")));
                continue;
            }

            var policy = PolicyFor(settings, instances.GetValueOrDefault(instanceId), isDr, out var error);
            if (policy is null)
            {
                failures.Add(new Failure(instanceId, region.Region, instanceId, $"{RetentionScope}: {error}; its backups were all kept"));
                kept.AddRange(group.Select(i => Keep(i, "invalid retention override")));
                continue;
            }

            // Without a creation date an image can't be placed in time, so retention can't judge it.
            kept.AddRange(group.Where(i => i.IsAvailable && i.BackupTime == DateTimeOffset.MinValue).Select(i => Keep(i, "creation date unknown")));

            var available = NewestFirst(group.Where(i => i.IsAvailable && i.BackupTime != DateTimeOffset.MinValue)).ToList();
            var newest = available.FirstOrDefault();
            var decisions = RetentionEngine.Apply(
                [.. available.Select(i => new BackupPoint(i.ImageId, i.BackupTime))],
                policy,
                settings.RetentionTimeZone);
            var byId = available.ToDictionary(i => i.ImageId, StringComparer.Ordinal);

            foreach (var decision in decisions)
            {
                var image = byId[decision.Id];
                var reasons = new List<string>(decision.Reasons);
                if (image.IsPinned)
                {
                    reasons.Add("pinned");
                }

                if (ReferenceEquals(image, newest))
                {
                    reasons.Add("newest");
                }

                if (reasons.Count > 0)
                {
                    kept.Add(new KeepDecision(image.ImageId, region.Region, instanceId, image.BackupTime, reasons));
                    continue;
                }

                if (InUse(references, image.ImageId) is { } inUse)
                {
                    kept.Add(Keep(image, inUse));
                    continue;
                }

                candidates.Add(Retire(image, region.Region, $"outside policy {policy}"));
            }

            foreach (var image in group.Where(i => !i.IsAvailable).OrderBy(i => i.ImageId, StringComparer.Ordinal))
            {
                if (image.IsPending)
                {
                    kept.Add(Keep(image, "pending"));
                }
                else if (image.IsFailed && image.IsPinned)
                {
                    kept.Add(Keep(image, "pinned"));
                }
                else if (image.IsFailed && isDr && !goodCopySources.Contains(image.SourceImageId ?? "") && liveSources.Contains(image.SourceImageId ?? ""))
                {
                    kept.Add(Keep(image, "failed copy; kept until its retry copy exists"));
                }
                else if (image.IsFailed && InUse(references, image.ImageId) is { } inUse)
                {
                    // A launch template may still name a failed image; deregistering it would change what that template means.
                    kept.Add(Keep(image, inUse));
                }
                else if (image.IsFailed)
                {
                    candidates.Add(Retire(image, region.Region, $"image is {image.State}, not a usable backup"));
                }
                else
                {
                    kept.Add(Keep(image, $"image is {image.State}"));
                }
            }
        }
    }

    private const int MaxCopyAttempts = 3;

    private static bool IsHealthyCopy(Ec2Image copy) => copy.IsPending || copy.IsAvailable;

    /// <summary>The policy of an instance in a Region: its override tag, else the setting. Null (with why) when the tag is invalid.</summary>
    private static RetentionPolicy? PolicyFor(Settings settings, Ec2Instance? instance, bool isDr, out string? error)
    {
        error = null;
        if (instance?.RetentionOverride is not { } overrideText)
        {
            return isDr ? settings.DrRetention : settings.Retention;
        }

        if (RetentionPolicy.TryParse(overrideText, out var policy, out var parseError))
        {
            return policy;
        }

        error = $"tag {ManagedTags.Retention}='{overrideText}' on {instance.InstanceId} is invalid ({parseError})";
        return null;
    }

    /// <summary>
    /// Why each available source backup should NOT be copied (absent: copy it). A backup is wanted in the DR Region
    /// when the DR policy, applied to the instance's source backups, keeps it, and the source policy keeps it too
    /// (or it is pinned): anything else would be copied only to be retired, night after night.
    /// </summary>
    private static Dictionary<string, string> WantedInDr(Settings settings, Inventory.Inventory inventory, IReadOnlyList<Ec2Image> sourceBackups)
    {
        var instances = inventory.Instances.ToDictionary(i => i.InstanceId, StringComparer.Ordinal);
        var notWanted = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var group in sourceBackups.Where(i => i.IsAvailable && i.InstanceId is not null).GroupBy(i => i.InstanceId!, StringComparer.Ordinal))
        {
            var instance = instances.GetValueOrDefault(group.Key);
            var drPolicy = PolicyFor(settings, instance, isDr: true, out _);
            var sourcePolicy = PolicyFor(settings, instance, isDr: false, out _);
            if (drPolicy is null || sourcePolicy is null)
            {
                continue; // an invalid override is reported by retention; copying stays the safe default
            }

            var points = NewestFirst(group).Select(i => new BackupPoint(i.ImageId, i.BackupTime)).ToList();
            var byId = group.ToDictionary(i => i.ImageId, StringComparer.Ordinal);
            var keptInDr = RetentionEngine.Apply(points, drPolicy, settings.RetentionTimeZone).Where(d => d.Keep).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
            var keptAtSource = RetentionEngine.Apply(points, sourcePolicy, settings.RetentionTimeZone).Where(d => d.Keep).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var point in points)
            {
                if (!keptInDr.Contains(point.Id))
                {
                    notWanted[point.Id] = $"not copied: DR retention {drPolicy} would not keep it";
                }
                else if (!keptAtSource.Contains(point.Id) && !byId[point.Id].IsPinned)
                {
                    notWanted[point.Id] = $"not copied: retention {sourcePolicy} retires it in {inventory.Source.Region}";
                }
            }
        }

        return notWanted;
    }

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

    private static void PlanOrphanSweep(Settings settings, Inventory.Inventory inventory, PassScope scope, RegionInventory region, bool isDr, List<RetireAction> candidates, List<SnapshotDeletion> deletions)
    {
        // Any registered image of the account, managed or not, holds its snapshots.
        var used = region.Images.Where(i => i.HoldsSnapshots).SelectMany(i => i.SnapshotIds).ToHashSet(StringComparer.Ordinal);
        var retiring = candidates.SelectMany(c => c.SnapshotIds).ToHashSet(StringComparer.Ordinal);
        foreach (var snapshot in region.ManagedSnapshots.OrderBy(s => s.SnapshotId, StringComparer.Ordinal))
        {
            var ours = isDr ? snapshot.SourceRegion == settings.Region : snapshot.SourceRegion is null;
            if (!ours || used.Contains(snapshot.SnapshotId) || retiring.Contains(snapshot.SnapshotId))
            {
                continue;
            }

            if (scope.InstanceIds is not null && (snapshot.InstanceId is null || !scope.InstanceIds.Contains(snapshot.InstanceId)))
            {
                continue;
            }

            if (snapshot.State == "pending" || scope.Now - snapshot.StartTime < OrphanGrace)
            {
                continue;
            }

            deletions.Add(new SnapshotDeletion(snapshot.SnapshotId, region.Region, snapshot.InstanceId, "orphan: managed snapshot that no registered image uses"));
        }
    }

    /// <summary>
    /// The images a pass in <paramref name="settings"/>' Region may ever retire in <paramref name="region"/>:
    /// managed, owned by this account, and ours to judge. In the source Region that is its own backups; in the
    /// DR Region, only copies whose source is this Region (other Regions' functions own theirs).
    /// </summary>
    public static IEnumerable<Ec2Image> OwnedBackups(RegionInventory region, Settings settings, string accountId, bool isDr) =>
        region.Images.Where(i =>
            i.IsManaged
            && i.OwnerId == accountId
            && (isDr ? i.IsCopy && i.SourceRegion == settings.Region : !i.IsCopy)
            && i.State != ImageStates.Deregistered
            && HasOurName(i));

    /// <summary>
    /// Tags can be copied by anyone (copy-image --copy-image-tags), names can't collide: an image is one of our
    /// backups only if it also carries the name we give backups of that instance.
    /// </summary>
    private static bool HasOurName(Ec2Image image) =>
        image.InstanceId is null || image.Name.StartsWith($"{BackupNaming.Prefix}-{image.InstanceId}-", StringComparison.Ordinal);

    /// <summary>
    /// Backups newest first, ties broken by image id: the one order the engine (stable), "newest" and the
    /// recovery report all see, so they can never disagree about which backup is the newest.
    /// </summary>
    public static IEnumerable<Ec2Image> NewestFirst(IEnumerable<Ec2Image> backups) =>
        backups.OrderByDescending(i => i.BackupTime).ThenBy(i => i.ImageId, StringComparer.Ordinal);

    private static KeepDecision Keep(Ec2Image image, string reason) =>
        new(image.ImageId, image.Region, image.InstanceId, image.BackupTime, [reason]);

    private static RetireAction Retire(Ec2Image image, string region, string reason) =>
        new(image.ImageId, region, image.InstanceId, image.Name, image.BackupTime, image.SnapshotIds, [reason]);
}
