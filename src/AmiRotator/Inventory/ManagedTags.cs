namespace AmiRotator.Inventory;

/// <summary>The tag keys AmiRotator writes and reads. One place, so IAM conditions and docs can match.</summary>
internal static class ManagedTags
{
    public const string Managed = "ami-rotator:managed";
    public const string ManagedValue = "true";
    public const string InstanceId = "ami-rotator:instance-id";
    public const string ScheduledTime = "ami-rotator:scheduled-time";
    public const string SourceImageId = "ami-rotator:source-image-id";
    public const string SourceRegion = "ami-rotator:source-region";

    /// <summary>On a DR copy: the source image's CreationDate. A copy's own CreationDate is when it was copied, and a
    /// catch-up pass copies many backups in the same minute; retention must see when each backup was taken.</summary>
    public const string BackupTime = "ami-rotator:backup-time";
    public const string Keep = "ami-rotator:keep";
    public const string Retention = "ami-rotator:retention";
    public const string Name = "Name";
}
