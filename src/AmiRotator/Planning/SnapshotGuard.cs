using AmiRotator.Ec2;

namespace AmiRotator.Planning;

/// <summary>
/// The last check before DeleteSnapshot, on what EC2 answered just now rather than on the pass's earlier read. EC2
/// refuses DeleteSnapshot only for the root-device snapshot of a registered AMI [API_DeleteSnapshot], so a data-volume
/// snapshot of another image, or any snapshot of an AMI in the Recycle Bin, would be lost without this. Pure.
/// </summary>
internal static class SnapshotGuard
{
    /// <summary>Why <paramref name="snapshotId"/> must stay, or null when nothing needs it.</summary>
    /// <param name="imageName">The image the snapshot was made for, when known (its tag, or the image being retired).</param>
    /// <param name="instanceId">The instance it is a backup of, when known.</param>
    public static string? WhyKeep(string snapshotId, string? imageName, string? instanceId, SnapshotHolders holders)
    {
        if (holders.Registered.TryGetValue(snapshotId, out var users) && users.Count > 0)
        {
            return $"still used by {string.Join(", ", users.Order(StringComparer.Ordinal))}";
        }

        // [recycle-bin-factors] An AMI in the Recycle Bin can be restored only while its snapshots exist.
        if (imageName is not null)
        {
            return holders.RecycleBin.FirstOrDefault(b => b.Name == imageName) is { } binned
                ? $"its image {binned.ImageId} is in the Recycle Bin{(binned.ExitTime is { } exit ? $" until {Iso8601.Seconds(exit)}" : "")}; deleting it would make that image unrecoverable"
                : null;
        }

        // Made before snapshots recorded their image: which binned image it belongs to can't be told, so a binned
        // backup of the same instance (or, without an instance, any binned backup of ours) keeps it.
        var prefix = instanceId is null ? $"{BackupNaming.Prefix}-" : $"{BackupNaming.Prefix}-{instanceId}-";
        return holders.RecycleBin.FirstOrDefault(b => b.Name.StartsWith(prefix, StringComparison.Ordinal)) is { } maybe
            ? $"it doesn't say which image it belongs to, and {maybe.ImageId} ({maybe.Name}) is in the Recycle Bin"
            : null;
    }
}
