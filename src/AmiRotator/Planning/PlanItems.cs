namespace AmiRotator.Planning;

/// <summary>Create an AMI of an instance. The name is the idempotency key: CreateImage has no ClientToken.</summary>
internal sealed record BackupAction(
    string InstanceId,
    string Name,
    string Description,
    bool NoReboot,
    IReadOnlyDictionary<string, string> Tags,
    string Reason);

/// <summary>Copy a managed source image into the DR Region, called in the DR Region with a deterministic ClientToken.</summary>
internal sealed record CopyAction(
    string SourceImageId,
    string SourceRegion,
    string DestinationRegion,
    string? InstanceId,
    string Name,
    string Description,
    string ClientToken,
    string? KmsKeyId,
    IReadOnlyDictionary<string, string> Tags,
    string Reason);

/// <summary>Deregister an image and delete its snapshots that no other registered image uses.</summary>
internal sealed record RetireAction(
    string ImageId,
    string Region,
    string? InstanceId,
    string Name,
    DateTimeOffset CreationDate,
    IReadOnlyList<string> SnapshotIds,
    IReadOnlyList<string> Reasons);

/// <summary>
/// Record this stack as the owner of a backup made before owners were recorded (and the policy it is judged by):
/// CreateTags on the image and its snapshots, or on a snapshot alone.
/// </summary>
internal sealed record AdoptAction(string Subject, string Region, string? InstanceId, IReadOnlyList<string> ResourceIds, IReadOnlyDictionary<string, string> Tags, string Reason);

/// <summary>
/// Delete a managed snapshot that no registered image uses any more. <see cref="ImageName"/> is the image it was made
/// for, when known: if that image is in the Recycle Bin, the snapshot must stay for the image to be restorable.
/// </summary>
internal sealed record SnapshotDeletion(string SnapshotId, string Region, string? InstanceId, string Reason, string? ImageName = null);

/// <summary>
/// Lock one snapshot of a DR copy (LockSnapshot with ExpirationDate): in compliance mode nobody, not even the account's
/// administrator, can delete it before <see cref="ExpiresAt"/> [ebs-snapshot-lock].
/// </summary>
internal sealed record LockAction(string SnapshotId, string Region, string ImageId, string? InstanceId, string Mode, DateTimeOffset ExpiresAt, string Reason);

/// <summary>EnableImageDeprecation on a backup older than DEPRECATE_AFTER_DAYS, at <see cref="DeprecateAt"/>.</summary>
internal sealed record DeprecateAction(string ImageId, string Region, string? InstanceId, DateTimeOffset DeprecateAt, string Reason);

/// <summary>An image the plan keeps, with every reason it is kept (restic's KeepReason).</summary>
internal sealed record KeepDecision(string ImageId, string Region, string? InstanceId, DateTimeOffset CreationDate, IReadOnlyList<string> Reasons);

/// <summary>Something the plan deliberately does not do, and why.</summary>
internal sealed record Skip(string Subject, string Region, string? InstanceId, string Reason);

/// <summary>Something that could not be done, and why; it makes the invocation a function error.</summary>
internal sealed record Failure(string Subject, string Region, string? InstanceId, string Error);
