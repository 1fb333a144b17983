namespace AmiRotator.Inventory;

/// <summary>An image owned by the account, with the facts the planner needs to judge it.</summary>
internal sealed record Ec2Image(
    string ImageId,
    string Region,
    string Name,
    string State,
    string OwnerId,
    DateTimeOffset CreationDate,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyList<string> SnapshotIds,
    string? DeregistrationProtection = null,
    DateTimeOffset? DeprecationTime = null)
{
    public bool IsManaged => Tags.GetValueOrDefault(ManagedTags.Managed) == ManagedTags.ManagedValue;
    public string? InstanceId => Tags.GetValueOrDefault(ManagedTags.InstanceId);
    public string? SourceImageId => Tags.GetValueOrDefault(ManagedTags.SourceImageId);
    public string? SourceRegion => Tags.GetValueOrDefault(ManagedTags.SourceRegion);
    public bool IsPinned => string.Equals(Tags.GetValueOrDefault(ManagedTags.Keep), "true", StringComparison.OrdinalIgnoreCase);
    public bool IsCopy => SourceImageId is not null;
    public string? Owner => Tags.GetValueOrDefault(ManagedTags.Owner);
    public string? RecordedPolicy => Tags.GetValueOrDefault(ManagedTags.Policy);
    public string? RecordedDrPolicy => Tags.GetValueOrDefault(ManagedTags.DrPolicy);

    /// <summary>
    /// [API_Image] deregistrationProtection: DeregisterImage fails while it is enabled (with or without the 24-hour
    /// cooldown after disabling), so a protected image is kept like a pinned one.
    /// </summary>
    public bool IsDeregistrationProtected =>
        DeregistrationProtection is { Length: > 0 } value && !value.Equals("disabled", StringComparison.OrdinalIgnoreCase);

    /// <summary>When the backup was taken: the source's time for a DR copy, else the image's CreationDate.</summary>
    public DateTimeOffset BackupTime =>
        IsCopy && Tags.TryGetValue(ManagedTags.BackupTime, out var text)
        && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : CreationDate;
    public bool IsAvailable => State == ImageStates.Available;
    public bool IsPending => State == ImageStates.Pending;
    public bool IsFailed => State is ImageStates.Failed or ImageStates.Error or ImageStates.Invalid;

    /// <summary>Registered images hold their snapshots; deregistered ones no longer do.</summary>
    public bool HoldsSnapshots => State is not (ImageStates.Deregistered);
}

internal static class ImageStates
{
    public const string Pending = "pending";
    public const string Available = "available";
    public const string Failed = "failed";
    public const string Error = "error";
    public const string Invalid = "invalid";
    public const string Deregistered = "deregistered";
    public const string Disabled = "disabled";
}
