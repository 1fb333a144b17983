using AmiRotator.Configuration;
using AmiRotator.Inventory;

namespace AmiRotator.Planning;

/// <summary>
/// Which images and snapshots a pass may ever judge. Ours means all of: the managed tag, owned by this account, the
/// name AmiRotator gives backups of that instance, and this deployment's owner tag. In the source Region that is its own
/// backups; in the DR Region, only copies whose source is this Region (other Regions' functions own theirs).
/// </summary>
internal static class Ownership
{
    public static IEnumerable<Ec2Image> OwnedBackups(RegionInventory region, Settings settings, string accountId, bool isDr) =>
        region.Images.Where(i => IsOurKind(i, settings, accountId, isDr) && i.Owner == settings.Owner);

    /// <summary>
    /// Backups made by AmiRotator before owners were recorded: managed and of our kind, with no owner tag. A pass
    /// adopts them (<see cref="AdoptionStep"/>) or keeps them; it never retires one without an owner.
    /// </summary>
    public static IEnumerable<Ec2Image> LegacyBackups(RegionInventory region, Settings settings, string accountId, bool isDr) =>
        region.Images.Where(i => IsOurKind(i, settings, accountId, isDr) && i.Owner is null);

    /// <summary>A managed snapshot this deployment made: its owner tag, and in the DR Region a copy from this Region.</summary>
    public static bool OwnsSnapshot(Ec2Snapshot snapshot, Settings settings, bool isDr) =>
        snapshot.Owner == settings.Owner && IsSnapshotOfOurKind(snapshot, settings, isDr);

    public static bool IsSnapshotOfOurKind(Ec2Snapshot snapshot, Settings settings, bool isDr) =>
        isDr ? snapshot.SourceRegion == settings.Region : snapshot.SourceRegion is null;

    /// <summary>
    /// Backups newest first, ties broken by image id: the one order the engine (stable), "newest" and the
    /// recovery report all see, so they can never disagree about which backup is the newest.
    /// </summary>
    public static IEnumerable<Ec2Image> NewestFirst(IEnumerable<Ec2Image> backups) =>
        backups.OrderByDescending(i => i.BackupTime).ThenBy(i => i.ImageId, StringComparer.Ordinal);

    private static bool IsOurKind(Ec2Image image, Settings settings, string accountId, bool isDr) =>
        image.IsManaged
        && image.OwnerId == accountId
        && (isDr ? image.IsCopy && image.SourceRegion == settings.Region : !image.IsCopy)
        && image.State != ImageStates.Deregistered
        && HasOurName(image);

    /// <summary>
    /// Tags can be copied by anyone (copy-image --copy-image-tags), names can't collide: an image is one of our
    /// backups only if it also carries the name we give backups of that instance.
    /// </summary>
    private static bool HasOurName(Ec2Image image) =>
        image.InstanceId is null || image.Name.StartsWith($"{BackupNaming.Prefix}-{image.InstanceId}-", StringComparison.Ordinal);
}
