namespace AmiRotator.Inventory;

/// <summary>A managed snapshot (tagged at creation with <see cref="ManagedTags.Managed"/>).</summary>
internal sealed record Ec2Snapshot(string SnapshotId, string Region, string State, DateTimeOffset StartTime, IReadOnlyDictionary<string, string> Tags)
{
    public string? SourceRegion => Tags.GetValueOrDefault(ManagedTags.SourceRegion);
    public string? InstanceId => Tags.GetValueOrDefault(ManagedTags.InstanceId);
    public string? Owner => Tags.GetValueOrDefault(ManagedTags.Owner);
    public string? ImageName => Tags.GetValueOrDefault(ManagedTags.ImageName);
}
