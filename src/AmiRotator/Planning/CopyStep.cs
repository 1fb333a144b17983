using AmiRotator.Configuration;
using AmiRotator.Inventory;
using AmiRotator.Retention;

namespace AmiRotator.Planning;

/// <summary>
/// Step 2: a DR copy of every available backup of ours that DR retention would keep and that has no healthy copy yet,
/// within the copies-in-flight limit. A failed copy is retried (at most <see cref="MaxCopyAttempts"/> times) under a
/// name and ClientToken of its own.
/// </summary>
internal static class CopyStep
{
    public const int MaxCopyAttempts = 3;

    public static void Plan(Settings settings, Inventory.Inventory inventory, PassScope scope, PlanBuilder plan)
    {
        // Without the instances a copy could record the wrong DR policy (an instance's override tag); without the DR
        // Region's images a copy can't tell what is there already. Either read's failure is reported.
        if (settings.DrRegion is not { } drRegion || inventory.Dr is not { } dr || inventory.Missing(InventoryPart.Instances))
        {
            return;
        }

        var source = inventory.Source;
        // Any managed copy of a source counts, whoever made it (a copy made before owners were recorded, say): a second
        // copy of the same backup would only cost money. Only owned copies are ever retired.
        var copiesBySource = dr.Images
            .Where(i => i.IsManaged && i.OwnerId == inventory.AccountId && i.SourceRegion == source.Region && i.SourceImageId is not null)
            .GroupBy(i => i.SourceImageId!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

        // The destination Region allows 300 copies in progress, whoever started them; the pass keeps well under that
        // and leaves the rest to the AMI-available events and the next pass.
        var inFlight = dr.Images.Count(i => i.IsManaged && i.IsPending);
        // Up to COPY_WRITERS invocations (the event queue's pollers and the night loop) copy at once, each seeing the
        // same count: each takes only its share of the free slots, so together they never pass the limit.
        var slots = Math.Max(0, (settings.MaxCopiesInFlight - inFlight) / settings.CopyWriters);
        var instances = inventory.Instances.ToDictionary(i => i.InstanceId, StringComparer.Ordinal);

        var owned = Ownership.OwnedBackups(source, settings, inventory.AccountId, isDr: false).ToList();
        var notWanted = NotWantedInDr(settings, inventory, owned);
        var sources = owned
            .Where(i => scope.ImageIds is null || scope.ImageIds.Contains(i.ImageId))
            .Where(i => scope.Covers(i.InstanceId))
            .OrderByDescending(i => i.CreationDate).ThenBy(i => i.ImageId, StringComparer.Ordinal);

        foreach (var image in sources)
        {
            var existing = copiesBySource.GetValueOrDefault(image.ImageId) ?? [];
            if (existing.Any(IsHealthyCopy))
            {
                continue;
            }

            if (image.IsAvailable && notWanted.GetValueOrDefault(image.ImageId) is { } why)
            {
                // Copying what DR retention would retire (or what the source is about to retire) would copy and
                // retire the same backup night after night.
                if (scope.ImageIds is not null)
                {
                    plan.Skipped.Add(new Skip(image.ImageId, source.Region, image.InstanceId, why));
                }

                continue;
            }

            var failedCopies = existing.Count(c => c.IsFailed);
            if (failedCopies >= MaxCopyAttempts)
            {
                plan.Failures.Add(new Failure(image.ImageId, drRegion, image.InstanceId,
                    $"{failedCopies} copies of {image.ImageId} to {drRegion} failed; not retried again (check DR_KMS_KEY_ID and the key policy); pin or deregister the failed copies to retry"));
                continue;
            }

            if (!image.IsAvailable)
            {
                plan.Skipped.Add(new Skip(image.ImageId, source.Region, image.InstanceId, $"source image is {image.State}; copied once available"));
                if (image.IsPending)
                {
                    plan.CopiesWaiting.Add(image.ImageId);
                    plan.SourcesPending.Add(image.ImageId);
                }

                continue;
            }

            if (slots == 0)
            {
                plan.CopiesWaiting.Add(image.ImageId);
                plan.Skipped.Add(new Skip(image.ImageId, source.Region, image.InstanceId,
                    $"copy deferred: {inFlight + plan.Copies.Count} copies in flight in {drRegion} (MAX_COPIES_IN_FLIGHT={settings.MaxCopiesInFlight}" +
                    $"{(settings.CopyWriters > 1 ? $", this invocation's share of it {(settings.MaxCopiesInFlight - inFlight) / settings.CopyWriters} of {settings.CopyWriters} copying at once" : "")}); the next pass or AMI event copies it"));
                continue;
            }

            slots--;
            var lastFailed = existing.Where(c => c.IsFailed).OrderByDescending(c => c.CreationDate).ThenBy(c => c.ImageId, StringComparer.Ordinal).FirstOrDefault();
            plan.Copies.Add(NewImages.Copy(
                settings,
                image,
                image.InstanceId is null ? null : instances.GetValueOrDefault(image.InstanceId),
                drRegion,
                // A retry is named after the copy that failed, so a second failure can never collide with the first.
                lastFailed is null ? image.Name : $"{image.Name}-retry-{lastFailed.ImageId["ami-".Length..]}",
                BackupNaming.CopyToken(image.ImageId, drRegion, settings.DrKmsKeyId, lastFailed?.ImageId),
                lastFailed is null ? $"no copy in {drRegion} yet" : $"earlier copy {lastFailed.ImageId} failed"));
        }
    }

    public static bool IsHealthyCopy(Ec2Image copy) => copy.IsPending || copy.IsAvailable;

    /// <summary>
    /// Why each available source backup should NOT be copied (absent: copy it). A backup is wanted in the DR Region when
    /// the DR policy it recorded, applied to the instance's source backups, keeps it, and its own source policy keeps it
    /// too (or it is pinned): anything else would be copied only to be retired, night after night. Without a policy to
    /// judge by, copying is the safe default.
    /// </summary>
    private static Dictionary<string, string> NotWantedInDr(Settings settings, Inventory.Inventory inventory, IReadOnlyList<Ec2Image> sourceBackups)
    {
        var instances = inventory.Instances.ToDictionary(i => i.InstanceId, StringComparer.Ordinal);
        var notWanted = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var group in sourceBackups.Where(i => i.IsAvailable && i.InstanceId is not null).GroupBy(i => i.InstanceId!, StringComparer.Ordinal))
        {
            var instance = instances.GetValueOrDefault(group.Key);
            var backups = Ownership.NewestFirst(group).ToList();
            RetentionPolicy? DrPolicy(Ec2Image image) => image.RecordedDrPolicy is { } text
                ? (RetentionPolicy.TryParse(text, out var p, out _) ? p : null)
                : RecordedPolicies.Effective(settings, instance, isDr: true).Policy;
            RetentionPolicy? SourcePolicy(Ec2Image image) => RecordedPolicies.For(image, settings, instance, isDr: false).Policy;

            var inDr = RecordedPolicies.Judge(backups, DrPolicy, settings.RetentionTimeZone);
            var atSource = RecordedPolicies.Judge(backups, SourcePolicy, settings.RetentionTimeZone);
            foreach (var image in backups)
            {
                if (inDr.TryGetValue(image.ImageId, out var dr) && !dr.Keep)
                {
                    notWanted[image.ImageId] = $"not copied: DR retention {DrPolicy(image)} would not keep it";
                }
                else if (atSource.TryGetValue(image.ImageId, out var home) && !home.Keep && !image.IsPinned)
                {
                    notWanted[image.ImageId] = $"not copied: retention {SourcePolicy(image)} retires it in {inventory.Source.Region}";
                }
            }
        }

        return notWanted;
    }
}
