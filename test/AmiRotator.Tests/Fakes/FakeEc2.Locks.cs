using AmiRotator.Inventory;

namespace AmiRotator.Tests.Fakes;

/// <summary>
/// EBS snapshot lock and AMI deprecation, as the API reference describes them. [API_LockSnapshot] "A locked snapshot
/// can't be deleted"; "You can lock a snapshot only if it is in the pending or completed state"
/// [snapshot-lock-considerations]; ExpirationDate must be in the future and at most 36,500 days ahead. The error codes
/// are the emulator's (test/moto patch 16): a locked snapshot's DeleteSnapshot answers OperationNotPermitted, and
/// DeregisterImage's DeleteAssociatedSnapshots reports it "client-error" [API_DeleteSnapshotReturnCode].
/// [API_EnableImageDeprecation] "You can't specify a date in the past"; the seconds round to the nearest minute.
/// Modes and cool-off periods are recorded, not simulated: the fake's locks are all active until they expire.
/// </summary>
internal sealed partial class FakeEc2
{
    public const string LockSnapshot = "LockSnapshot";
    public const string DescribeLockedSnapshots = "DescribeLockedSnapshots";
    public const string EnableImageDeprecation = "EnableImageDeprecation";

    private readonly Dictionary<string, (string Mode, DateTimeOffset Expires)> snapshotLocks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> deprecations = new(StringComparer.Ordinal);

    /// <summary>The lock on a snapshot, as a test sees it (null: never locked).</summary>
    public (string Mode, DateTimeOffset Expires)? LockOf(string snapshotId)
    {
        lock (gate)
        {
            return snapshotLocks.TryGetValue(snapshotId, out var l) ? l : null;
        }
    }

    /// <summary>An image's DeprecationTime (null: not set to be deprecated).</summary>
    public DateTimeOffset? DeprecationOf(string imageId)
    {
        lock (gate)
        {
            return deprecations.TryGetValue(imageId, out var at) ? at : null;
        }
    }

    /// <summary>Seeds a lock set by someone else (or an earlier night), with no API call.</summary>
    public void SeedLock(string snapshotId, string mode, DateTimeOffset expires)
    {
        lock (gate)
        {
            snapshotLocks[snapshotId] = (mode, expires);
        }
    }

    internal bool Lock(string region, string snapshotId, string mode, DateTimeOffset expires) =>
        Call(region, LockSnapshot, snapshotId, () =>
        {
            if (!snapshots.TryGetValue(snapshotId, out var snapshot) || snapshot.Region != region)
            {
                throw Error("InvalidSnapshot.NotFound", $"The snapshot '{snapshotId}' does not exist.");
            }

            if (snapshot.State is not ("pending" or "completed"))
            {
                throw Error("IncorrectState", $"The snapshot '{snapshotId}' is {snapshot.State}; only pending or completed snapshots can be locked.");
            }

            var now = clock.GetUtcNow();
            if (mode is not ("governance" or "compliance") || expires <= now || expires > now.AddDays(36500))
            {
                throw Error("InvalidParameterValue", $"LockSnapshot {snapshotId}: mode {mode}, expiration {expires:O} is not valid");
            }

            snapshotLocks[snapshotId] = (mode, expires);
            return true;
        });

    internal IReadOnlyDictionary<string, SnapshotLock> LockedSnapshots(string region) =>
        Call(region, DescribeLockedSnapshots, "lock-state=compliance-cooloff,governance,compliance", () =>
        {
            var now = clock.GetUtcNow();
            return (IReadOnlyDictionary<string, SnapshotLock>)snapshotLocks
                .Where(kv => snapshots.TryGetValue(kv.Key, out var s) && s.Region == region && kv.Value.Expires > now)
                .ToDictionary(kv => kv.Key, kv => new SnapshotLock(kv.Key, kv.Value.Mode, kv.Value.Expires), StringComparer.Ordinal);
        });

    internal bool Deprecate(string region, string imageId, DateTimeOffset at) =>
        Call(region, EnableImageDeprecation, imageId, () =>
        {
            if (!images.TryGetValue(imageId, out var image) || image.Region != region)
            {
                throw Error("InvalidAMIID.NotFound", $"The image id '[{imageId}]' does not exist");
            }

            if (at < clock.GetUtcNow())
            {
                throw Error("InvalidParameterValue", $"DeprecateAt {at:O} is in the past");
            }

            var rounded = new DateTimeOffset(at.Year, at.Month, at.Day, at.Hour, at.Minute, 0, TimeSpan.Zero).AddMinutes(at.Second >= 30 ? 1 : 0);
            deprecations[imageId] = rounded;
            return true;
        });

    /// <summary>Under the gate: whether a lock stops deleting the snapshot now.</summary>
    private bool IsLockedNow(string snapshotId) =>
        snapshotLocks.TryGetValue(snapshotId, out var l) && l.Expires > clock.GetUtcNow();

    private DateTimeOffset? DeprecationTimeOf(string imageId) => deprecations.TryGetValue(imageId, out var at) ? at : null;
}
