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
    /// <summary>A batch of EC2 AMI State Change events from the SQS queue, answered with the records that failed.</summary>
    ImageEventBatch,
    /// <summary>A restore drill: launch the newest DR copy of a sample of instances, check it boots, terminate it.</summary>
    Drill,
}

/// <summary>
/// The parts of a night the Step Functions loop runs in turn, each its own invocation: backups first (the recovery
/// point), then the DR copies of tonight's backups, then the whole pass (retention, sweep, any copy still missing).
/// </summary>
internal enum NightPhase
{
    Backup,
    Copy,
    Prune,
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
    string? IdempotencyToken = null,
    IReadOnlyList<BatchRecord>? Batch = null,
    NightPhase? Phase = null,
    int FailuresSoFar = 0);

/// <summary>One SQS record of a batch: its event, or why it could not be read (then it is reported as failed).</summary>
internal sealed record BatchRecord(string MessageId, ImageStateChange? Event, string? Problem);

/// <summary>The detail of an <c>EC2 AMI State Change</c> event.</summary>
internal sealed record ImageStateChange(string ImageId, string State, string? Region, string? ErrorMessage);
