using AmiRotator.Planning;

namespace AmiRotator.Ec2;

/// <summary>
/// A mutating request sent with <c>DryRun=true</c>: EC2 checks the caller's permissions for exactly this request
/// and changes nothing. It answers <c>DryRunOperation</c> when the request is allowed and <c>UnauthorizedOperation</c>
/// when it is not [AWSEC2/latest/APIReference/CommonParameters, DryRun].
/// </summary>
internal abstract record DryRunRequest(string Action)
{
    /// <summary>What IAM authorises the call against, for an operator reading a denial.</summary>
    public abstract string Resources(string region);
}

internal sealed record DryRunCreateImage(BackupAction Backup) : DryRunRequest("ec2:CreateImage")
{
    public override string Resources(string region) =>
        $"instance {Backup.InstanceId}, and the new image/* and snapshot/* in {region} tagged {string.Join(",", Backup.Tags.Keys)} (tag-on-create also needs ec2:CreateTags)";
}

internal sealed record DryRunCopyImage(CopyAction Copy) : DryRunRequest("ec2:CopyImage")
{
    public override string Resources(string region) =>
        $"source image {Copy.SourceImageId} and its snapshots in {Copy.SourceRegion}, and the new image/* and snapshot/* in {region} " +
        $"(tag-on-create also needs ec2:CreateTags{(Copy.KmsKeyId is { } key ? $"; encryption needs KMS on {key} through EC2" : "")})";
}

internal sealed record DryRunDeregisterImage(string ImageId) : DryRunRequest("ec2:DeregisterImage")
{
    public override string Resources(string region) => $"image {ImageId} in {region}";
}

internal sealed record DryRunDeleteSnapshot(string SnapshotId) : DryRunRequest("ec2:DeleteSnapshot")
{
    public override string Resources(string region) => $"snapshot {SnapshotId} in {region}";
}

/// <summary>EC2's answer to a dry run: allowed, or denied with EC2's message (which may carry an encoded authorisation message).</summary>
internal sealed record DryRunVerdict(bool Allowed, string? Message = null)
{
    public static readonly DryRunVerdict Allow = new(true);
}
