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
    public const string Keep = "ami-rotator:keep";
    public const string Retention = "ami-rotator:retention";
    public const string Name = "Name";
}
