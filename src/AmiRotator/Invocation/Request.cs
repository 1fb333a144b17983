namespace AmiRotator.Invocation;

/// <summary>What an invocation asks for, after parsing and validation.</summary>
internal enum RequestKind
{
    /// <summary>The whole pass: back up, copy, retire.</summary>
    Run,
    Backup,
    Copy,
    Prune,
    Report,
    /// <summary>Every mutating request of a pass sent with DryRun=true: proves the deployed role, changes nothing.</summary>
    Preflight,
    /// <summary>An EC2 AMI State Change event.</summary>
    ImageStateChange,
}

/// <summary>
/// A validated request. <see cref="ScheduledTime"/> is set for scheduled passes (classic EventBridge schedule or
/// Scheduler input); it names the backups, so a redelivered event creates nothing new.
/// </summary>
internal sealed record Request(
    RequestKind Kind,
    bool DryRun,
    IReadOnlyList<string>? InstanceIds = null,
    DateTimeOffset? ScheduledTime = null,
    ImageStateChange? ImageEvent = null,
    string? IdempotencyToken = null);

/// <summary>The detail of an <c>EC2 AMI State Change</c> event.</summary>
internal sealed record ImageStateChange(string ImageId, string State, string? Region, string? ErrorMessage);
