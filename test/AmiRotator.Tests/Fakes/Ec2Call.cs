namespace AmiRotator.Tests.Fakes;

/// <summary>
/// One EC2 API call the fake received: the Region it was sent to, the API action (as named in the EC2 API
/// Reference) and its subject (an instance, image or snapshot id, or a filter). <see cref="ErrorCode"/> is the EC2
/// error code when the call failed. A call sent with <see cref="DryRun"/> ends with DryRunOperation or
/// UnauthorizedOperation and changes nothing.
/// </summary>
internal sealed record Ec2Call(string Region, string Action, string Subject, string? ErrorCode = null, bool DryRun = false)
{
    public const string DescribeInstances = "DescribeInstances";
    public const string DescribeImages = "DescribeImages";
    public const string DescribeSnapshots = "DescribeSnapshots";
    public const string DescribeImageReferences = "DescribeImageReferences";
    public const string CreateImage = "CreateImage";
    public const string CopyImage = "CopyImage";
    public const string DeregisterImage = "DeregisterImage";
    public const string DeleteSnapshot = "DeleteSnapshot";
    public const string CreateTags = "CreateTags";
    public const string ListImagesInRecycleBin = "ListImagesInRecycleBin";

    /// <summary>The calls that change EC2; a dry run or a repeated event must make none.</summary>
    public bool IsMutation => !DryRun && Action is CreateImage or CopyImage or DeregisterImage or DeleteSnapshot or CreateTags or "LockSnapshot" or "EnableImageDeprecation";

    public bool Failed => ErrorCode is not null;
}
