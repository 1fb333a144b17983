namespace AmiRotator.Inventory;

/// <summary>
/// An EBS snapshot lock as DescribeLockedSnapshots reports it [API_LockedSnapshotsInfo]. While a lock is active the
/// snapshot "can't be deleted by any user, regardless of their IAM permissions" [ebs-snapshot-lock], so neither
/// DeregisterImage's DeleteAssociatedSnapshots nor DeleteSnapshot can remove it: retiring its image would orphan it.
/// </summary>
/// <param name="LockState">compliance-cooloff, governance, compliance or expired.</param>
/// <param name="ExpiresOn">lockExpiresOn; null while a snapshot locked when pending has not completed (its duration
/// starts only then, [API_LockedSnapshotsInfo] lockDurationStartTime), which is locked all the same.</param>
internal sealed record SnapshotLock(string SnapshotId, string LockState, DateTimeOffset? ExpiresOn)
{
    public const string Expired = "expired";

    /// <summary>Whether the lock still stops deletion at <paramref name="now"/>.</summary>
    public bool IsActiveAt(DateTimeOffset now) => LockState != Expired && (ExpiresOn is not { } expires || expires > now);

    public string Describe() => $"{SnapshotId} locked ({LockState}){(ExpiresOn is { } e ? $" until {Iso8601.Seconds(e)}" : "")}";
}
