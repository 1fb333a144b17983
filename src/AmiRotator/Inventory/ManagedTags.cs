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
    /// <summary>The deployment (stack) that made the backup: one stack never judges, copies or deletes another's.</summary>
    public const string Owner = "ami-rotator:owner";

    /// <summary>The retention policy a backup (or DR copy) is judged by, recorded when it was made: the instance's
    /// override tag or the setting may change, and a decommissioned instance's tag is gone.</summary>
    public const string Policy = "ami-rotator:policy";

    /// <summary>On a source backup: the DR retention policy its copy will carry.</summary>
    public const string DrPolicy = "ami-rotator:dr-policy";

    /// <summary>The name of the image a snapshot belongs to. DescribeImages doesn't list an AMI in the Recycle Bin,
    /// and ListImagesInRecycleBin gives no snapshot ids, only names: this is how a snapshot finds a binned image.</summary>
    public const string ImageName = "ami-rotator:image-name";
    public const string Keep = "ami-rotator:keep";
    public const string Retention = "ami-rotator:retention";
    public const string Name = "Name";

    /// <summary>On a restore drill's instance: the drill it belongs to (its scheduled time). IAM lets the role launch
    /// only instances that carry it, and terminate only those.</summary>
    public const string Drill = "ami-rotator:drill";

    /// <summary>On a drill instance: the protected instance whose DR copy it boots.</summary>
    public const string DrillOf = "ami-rotator:drill-of";

    /// <summary>On a drill instance: its outcome, written before it is terminated ("passed 83s", "failed: ...").</summary>
    public const string DrillResult = "ami-rotator:drill-result";
}
