using AmiRotator.Configuration;
using AmiRotator.Inventory;

namespace AmiRotator.Planning;

/// <summary>
/// The CreateImage and CopyImage requests AmiRotator sends, built in one place: the nightly plan and the preflight
/// check send the same tags, so a preflight that passes proves the requests the pass really makes.
/// </summary>
internal static class NewImages
{
    /// <summary>A backup of <paramref name="instance"/>, tagged (image and snapshots) at creation.</summary>
    public static BackupAction Backup(Settings settings, Ec2Instance instance, string name, DateTimeOffset time, string reason)
    {
        var tags = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [ManagedTags.Managed] = ManagedTags.ManagedValue,
            [ManagedTags.InstanceId] = instance.InstanceId,
            [ManagedTags.ScheduledTime] = BackupNaming.TimeTag(time),
        };
        if (instance.Name is { } instanceName)
        {
            tags[ManagedTags.Name] = instanceName;
        }

        return new BackupAction(
            instance.InstanceId,
            name,
            $"AmiRotator backup of {instance.InstanceId}{(instance.Name is null ? "" : $" ({instance.Name})")}",
            settings.NoReboot,
            tags,
            reason);
    }

    /// <summary>A DR copy of <paramref name="source"/>, which keeps the backup's identity and records when it was taken.</summary>
    public static CopyAction Copy(Settings settings, Ec2Image source, string drRegion, string name, string clientToken, string reason)
    {
        var tags = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [ManagedTags.Managed] = ManagedTags.ManagedValue,
            [ManagedTags.SourceImageId] = source.ImageId,
            [ManagedTags.SourceRegion] = source.Region,
        };
        foreach (var key in new[] { ManagedTags.InstanceId, ManagedTags.Name, ManagedTags.ScheduledTime })
        {
            if (source.Tags.TryGetValue(key, out var value))
            {
                tags[key] = value;
            }
        }

        tags[ManagedTags.BackupTime] = Iso8601.Milliseconds(source.CreationDate);
        return new CopyAction(
            source.ImageId,
            source.Region,
            drRegion,
            source.InstanceId,
            name,
            $"AmiRotator DR copy of {source.ImageId} from {source.Region}",
            clientToken,
            settings.DrKmsKeyId,
            tags,
            reason);
    }
}
