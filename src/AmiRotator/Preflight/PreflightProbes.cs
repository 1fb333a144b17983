using AmiRotator.Configuration;
using AmiRotator.Ec2;
using AmiRotator.Inventory;
using AmiRotator.Planning;

namespace AmiRotator.Preflight;

/// <summary>
/// One permission the preflight proves: the real request a pass would send, against a real resource, to be sent with
/// DryRun=true. Without a resource to send it against it stays untested, and <see cref="Untested"/> says why.
/// </summary>
internal sealed record Probe(string Permission, string Region, string Subject, DryRunRequest? Request, string? Untested = null);

/// <summary>
/// Chooses what the preflight sends. Pure: what the reads found in, the probes out. The requests come from the
/// builders the planner uses (<see cref="NewImages"/>), so a preflight that passes proves the tags and resources of
/// the requests a night really sends; only names and the ClientToken differ, so a dry run can never collide with a
/// real backup or copy.
/// </summary>
internal static class PreflightProbes
{
    private const int MaxNameLength = 128;

    public static IReadOnlyList<Probe> Plan(Settings settings, Inventory.Inventory inventory, DateTimeOffset now, string requestId)
    {
        var probes = new List<Probe>();
        var home = inventory.Source.Region;
        var marker = $"preflight:{requestId}";

        var instance = inventory.Instances
            .Where(i => i.Tags.GetValueOrDefault(settings.BackupTag.Key) == settings.BackupTag.Value && i.State is "running" or "stopped")
            .OrderBy(i => i.InstanceId, StringComparer.Ordinal)
            .FirstOrDefault();
        probes.Add(instance is null
            ? new Probe("ec2:CreateImage", home, "-", null, $"no running or stopped instance tagged {settings.BackupTag} in {home}")
            : new Probe("ec2:CreateImage", home, instance.InstanceId, new DryRunCreateImage(
                NewImages.Backup(settings, instance, BackupNaming.Manual(instance.InstanceId, now, settings.Owner, idempotencyToken: marker), now, "preflight"))));

        var sourceBackup = Candidate(settings, inventory, inventory.Source, isDr: false);
        if (settings.DrRegion is { } dr)
        {
            var available = Ownership.NewestFirst(Ownership.OwnedBackups(inventory.Source, settings, inventory.AccountId, isDr: false).Where(i => i.IsAvailable)).FirstOrDefault();
            probes.Add(available is null
                ? new Probe("ec2:CopyImage", dr, "-", null, $"no available managed backup in {home} to copy yet")
                : new Probe("ec2:CopyImage", dr, available.ImageId, new DryRunCopyImage(NewImages.Copy(
                    settings, available, inventory.Instances.FirstOrDefault(i => i.InstanceId == available.InstanceId), dr, Truncate($"{available.Name}-preflight"), BackupNaming.CopyToken(available.ImageId, dr, settings.DrKmsKeyId, marker), "preflight"))));
        }

        AddRetirement(probes, settings, inventory, inventory.Source, sourceBackup, isDr: false);
        if (inventory.Dr is { } drRegion)
        {
            AddRetirement(probes, settings, inventory, drRegion, Candidate(settings, inventory, drRegion, isDr: true), isDr: true);
        }

        return probes;
    }

    // The oldest of the Region's own backups that the pinned-image Deny doesn't cover: the kind retention retires.
    private static Ec2Image? Candidate(Settings settings, Inventory.Inventory inventory, RegionInventory region, bool isDr) =>
        Ownership.OwnedBackups(region, settings, inventory.AccountId, isDr)
            .Where(i => !i.IsPinned && !i.IsPending)
            .OrderBy(i => i.BackupTime).ThenBy(i => i.ImageId, StringComparer.Ordinal)
            .FirstOrDefault();

    private static void AddRetirement(List<Probe> probes, Settings settings, Inventory.Inventory inventory, RegionInventory region, Ec2Image? image, bool isDr)
    {
        probes.Add(image is null
            ? new Probe("ec2:DeregisterImage", region.Region, "-", null, $"no unpinned managed backup in {region.Region} yet")
            : new Probe("ec2:DeregisterImage", region.Region, image.ImageId, new DryRunDeregisterImage(image.ImageId)));

        // A snapshot of the chosen image if it has a managed one, else any snapshot the sweep could delete.
        var ours = region.ManagedSnapshots.Where(s => isDr ? s.SourceRegion == settings.Region : s.SourceRegion is null).ToList();
        var snapshot = ours.FirstOrDefault(s => image?.SnapshotIds.Contains(s.SnapshotId) == true)
            ?? ours.OrderBy(s => s.SnapshotId, StringComparer.Ordinal).FirstOrDefault();
        probes.Add(snapshot is null
            ? new Probe("ec2:DeleteSnapshot", region.Region, "-", null, $"no managed snapshot in {region.Region} yet")
            : new Probe("ec2:DeleteSnapshot", region.Region, snapshot.SnapshotId, new DryRunDeleteSnapshot(snapshot.SnapshotId)));
    }

    private static string Truncate(string name) => name.Length <= MaxNameLength ? name : name[..MaxNameLength];
}
