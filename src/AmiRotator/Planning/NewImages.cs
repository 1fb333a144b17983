using AmiRotator.Configuration;
using AmiRotator.Inventory;

namespace AmiRotator.Planning;

/// <summary>
/// The CreateImage and CopyImage requests AmiRotator sends, built in one place: the nightly plan and the preflight
/// check send the same tags, so a preflight that passes proves the requests the pass really makes. Every backup and
/// copy records who made it (the owner) and the policy that will judge it, on the image and on its snapshots.
/// </summary>
internal static class NewImages
{
    /// <summary>[API_CreateImage, API_CopyImage] Description: "Constraints: Up to 255 characters".</summary>
    public const int MaxDescriptionLength = 255;

    /// <summary>A backup of <paramref name="instance"/>, tagged (image and snapshots) at creation.</summary>
    public static BackupAction Backup(Settings settings, Ec2Instance instance, string name, DateTimeOffset time, string reason)
    {
        name = BackupNaming.Fit(name);
        var tags = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [ManagedTags.Managed] = ManagedTags.ManagedValue,
            [ManagedTags.Owner] = settings.Owner,
            [ManagedTags.InstanceId] = instance.InstanceId,
            [ManagedTags.ScheduledTime] = BackupNaming.TimeTag(time),
            [ManagedTags.ImageName] = name,
        };
        if (instance.Name is { } instanceName)
        {
            tags[ManagedTags.Name] = instanceName;
        }

        // An invalid override records nothing: the backup is then judged by its instance's (fixed) tag later, or kept.
        if (RecordedPolicies.Effective(settings, instance, isDr: false).Policy is { } policy)
        {
            tags[ManagedTags.Policy] = policy.ToString();
        }

        if (settings.DrRegion is not null && RecordedPolicies.Effective(settings, instance, isDr: true).Policy is { } drPolicy)
        {
            tags[ManagedTags.DrPolicy] = drPolicy.ToString();
        }

        return new BackupAction(
            instance.InstanceId,
            name,
            Describe($"AmiRotator backup of {instance.InstanceId}", instance.Name),
            settings.NoReboot,
            tags,
            reason);
    }

    /// <summary>
    /// A DR copy of <paramref name="source"/>, which keeps the backup's identity, records when it was taken and carries
    /// the DR policy the source recorded (else its instance's current one) as its own.
    /// </summary>
    public static CopyAction Copy(Settings settings, Ec2Image source, Ec2Instance? instance, string drRegion, string name, string clientToken, string reason)
    {
        name = BackupNaming.Fit(name);
        var tags = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [ManagedTags.Managed] = ManagedTags.ManagedValue,
            [ManagedTags.Owner] = settings.Owner,
            [ManagedTags.SourceImageId] = source.ImageId,
            [ManagedTags.SourceRegion] = source.Region,
            [ManagedTags.ImageName] = name,
        };
        foreach (var key in new[] { ManagedTags.InstanceId, ManagedTags.Name, ManagedTags.ScheduledTime })
        {
            if (source.Tags.TryGetValue(key, out var value))
            {
                tags[key] = value;
            }
        }

        if ((source.RecordedDrPolicy ?? RecordedPolicies.Effective(settings, instance, isDr: true).Policy?.ToString()) is { } drPolicy)
        {
            tags[ManagedTags.Policy] = drPolicy;
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

    // An instance's Name tag can hold 256 characters; the description holds 255 in all, so the name is what gives way.
    private static string Describe(string what, string? instanceName)
    {
        if (instanceName is null)
        {
            return what;
        }

        var room = MaxDescriptionLength - what.Length - " ()".Length;
        return room <= 3 ? what : $"{what} ({(instanceName.Length <= room ? instanceName : instanceName[..(room - 3)] + "...")})";
    }
}
