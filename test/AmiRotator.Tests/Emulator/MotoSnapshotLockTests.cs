using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;
using static AmiRotator.Tests.Emulator.EmulatorImages;

namespace AmiRotator.Tests.Emulator;

/// <summary>
/// Patch 16 of test/moto/amirotator_moto.py: EBS snapshot lock -- LockSnapshot, DescribeLockedSnapshots, UnlockSnapshot
/// and the lock states [API_LockSnapshot, API_DescribeLockedSnapshots, API_UnlockSnapshot, API_LockedSnapshotsInfo,
/// ebs/latest/userguide/ebs-snapshot-lock]. The error codes are not documented: OperationNotPermitted for what a
/// compliance lock refuses, and the common parameter codes of [errors-overview], are guesses.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class MotoSnapshotLockTests(MotoServer moto) : MotoPatchTests(moto)
{
    private const string Zone = "us-east-1a";
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(30);

    // [API_LockSnapshot] response: snapshotId, lockState, lockDuration, lockCreatedOn, lockExpiresOn,
    // lockDurationStartTime; governance "there is no cooling-off period" [snapshot-lock-concepts].
    [Fact]
    public async Task Lock_InGovernanceModeForADuration_ReportsTheDocumentedFields()
    {
        var snapshotId = await SnapshotAsync(EastClient, Zone);
        var before = DateTime.UtcNow;

        var locked = await EastClient.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshotId, LockMode = LockMode.Governance, LockDuration = 30 });

        Assert.Equal(snapshotId, locked.SnapshotId);
        Assert.Equal("governance", locked.LockState.Value);
        Assert.Equal(30, locked.LockDuration);
        Assert.Null(locked.CoolOffPeriod);
        Assert.Null(locked.CoolOffPeriodExpiresOn);
        var created = Utc(locked.LockCreatedOn);
        Assert.InRange(created, before - Slack, DateTime.UtcNow + Slack);
        Assert.Equal(created, Utc(locked.LockDurationStartTime));
        Assert.Equal(created.AddDays(30), Utc(locked.LockExpiresOn));

        var info = Assert.Single((await EastClient.DescribeLockedSnapshotsAsync(new DescribeLockedSnapshotsRequest { SnapshotIds = [snapshotId] })).Snapshots);
        Assert.Equal((MotoServer.DefaultAccountId, snapshotId, "governance", 30), (info.OwnerId, info.SnapshotId, info.LockState.Value, info.LockDuration));
        Assert.Equal(created.AddDays(30), Utc(info.LockExpiresOn));
    }

    // "compliance-cooloff - ... The snapshot can't be deleted, but it can be unlocked"; [API_UnlockSnapshot] unlocks "a
    // snapshot ... locked in compliance mode but still in the cooling-off period".
    [Fact]
    public async Task Lock_InComplianceModeWithACoolOffPeriod_IsInCoolOff_AndCanBeUnlocked()
    {
        var snapshotId = await SnapshotAsync(EastClient, Zone);

        var locked = await EastClient.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshotId, LockMode = LockMode.Compliance, LockDuration = 10, CoolOffPeriod = 2 });

        Assert.Equal("compliance-cooloff", locked.LockState.Value);
        Assert.Equal(2, locked.CoolOffPeriod);
        Assert.Equal(Utc(locked.LockCreatedOn).AddHours(2), Utc(locked.CoolOffPeriodExpiresOn));
        await FailsWithAsync("OperationNotPermitted", () => EastClient.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshotId }));

        var unlocked = await EastClient.UnlockSnapshotAsync(new UnlockSnapshotRequest { SnapshotId = snapshotId });

        Assert.Equal(snapshotId, unlocked.SnapshotId);
        Assert.Empty((await EastClient.DescribeLockedSnapshotsAsync(new DescribeLockedSnapshotsRequest { SnapshotIds = [snapshotId] })).Snapshots ?? []);
        await EastClient.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshotId });
        Assert.False(await SnapshotExistsAsync(EastClient, snapshotId));
    }

    // Without CoolOffPeriod the lock is in compliance at once. "compliance - ... The snapshot can't be unlocked or deleted.
    // The lock duration can only be increased"; [API_LockSnapshot] CoolOffPeriod "If you specify a cooling-period in a
    // such a request, the request fails."
    [Fact]
    public async Task Lock_InComplianceModeWithoutCoolOff_CantBeUnlockedShortenedOrChanged_ButCanBeExtended()
    {
        var snapshotId = await SnapshotAsync(EastClient, Zone);
        var locked = await EastClient.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshotId, LockMode = LockMode.Compliance, LockDuration = 30 });
        Assert.Equal("compliance", locked.LockState.Value);

        await FailsWithAsync("OperationNotPermitted", () => EastClient.UnlockSnapshotAsync(new UnlockSnapshotRequest { SnapshotId = snapshotId }));
        await FailsWithAsync("OperationNotPermitted", () => EastClient.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshotId, LockMode = LockMode.Governance, LockDuration = 30 }));
        await FailsWithAsync("OperationNotPermitted", () => EastClient.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshotId, LockMode = LockMode.Compliance, LockDuration = 29 }));
        await FailsWithAsync("InvalidParameterCombination", () => EastClient.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshotId, LockMode = LockMode.Compliance, LockDuration = 60, CoolOffPeriod = 1 }));
        await FailsWithAsync("OperationNotPermitted", () => EastClient.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshotId }));

        var extended = await EastClient.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshotId, LockMode = LockMode.Compliance, LockDuration = 60 });

        Assert.Equal(("compliance", 60), (extended.LockState.Value, extended.LockDuration));
        Assert.Equal(Utc(locked.LockDurationStartTime).AddDays(60), Utc(extended.LockExpiresOn));
    }

    // "If the snapshot is locked in governance mode, you can modify the lock mode and the lock duration or lock
    // expiration date."
    [Fact]
    public async Task Lock_InGovernanceMode_CanBeShortenedAndChangedToCompliance()
    {
        var snapshotId = await SnapshotAsync(EastClient, Zone);
        await EastClient.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshotId, LockMode = LockMode.Governance, LockDuration = 30 });

        var shortened = await EastClient.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshotId, LockMode = LockMode.Governance, LockDuration = 5 });
        var compliance = await EastClient.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshotId, LockMode = LockMode.Compliance, LockDuration = 3, CoolOffPeriod = 72 });

        Assert.Equal(("governance", 5), (shortened.LockState.Value, shortened.LockDuration));
        Assert.Equal(("compliance-cooloff", 3, 72), (compliance.LockState.Value, compliance.LockDuration, compliance.CoolOffPeriod));
    }

    // "expired - The snapshot was locked in compliance or governance mode but the lock duration has expired. The snapshot
    // is not locked and can be deleted." ExpirationDate: "The date and time at which the snapshot lock is to
    // automatically expire".
    [Fact]
    public async Task Lock_UntilAnExpirationDate_BecomesExpired_AndTheSnapshotCanThenBeDeleted()
    {
        var snapshotId = await SnapshotAsync(EastClient, Zone);
        var expiration = DateTime.UtcNow.AddSeconds(2);

        var locked = await EastClient.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshotId, LockMode = LockMode.Compliance, ExpirationDate = expiration });

        Assert.Equal("compliance", locked.LockState.Value);
        Assert.Null(locked.LockDuration);
        Assert.InRange(Utc(locked.LockExpiresOn), expiration.AddSeconds(-1), expiration.AddSeconds(1));
        await FailsWithAsync("OperationNotPermitted", () => EastClient.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshotId }));

        await Task.Delay(expiration - DateTime.UtcNow + TimeSpan.FromMilliseconds(500));

        var expired = await EastClient.DescribeLockedSnapshotsAsync(new DescribeLockedSnapshotsRequest { Filters = [new Filter("lock-state", ["expired"])] });
        Assert.Equal(snapshotId, Assert.Single(expired.Snapshots).SnapshotId);
        await EastClient.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshotId });
        Assert.False(await SnapshotExistsAsync(EastClient, snapshotId));
    }

    // [API_DescribeLockedSnapshots] Filter "lock-state - The state of the snapshot lock (compliance-cooloff | governance |
    // compliance | expired)"; values OR-ed [API_Filter]. Snapshots that were never locked are not listed.
    [Fact]
    public async Task DescribeLockedSnapshots_ListsLockedSnapshots_AndFiltersOnLockState()
    {
        var governance = await SnapshotAsync(EastClient, Zone);
        var coolOff = await SnapshotAsync(EastClient, Zone);
        var compliance = await SnapshotAsync(EastClient, Zone);
        var unlocked = await SnapshotAsync(EastClient, Zone);
        await EastClient.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = governance, LockMode = LockMode.Governance, LockDuration = 1 });
        await EastClient.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = coolOff, LockMode = LockMode.Compliance, LockDuration = 1, CoolOffPeriod = 1 });
        await EastClient.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = compliance, LockMode = LockMode.Compliance, LockDuration = 1 });

        var all = await EastClient.DescribeLockedSnapshotsAsync(new DescribeLockedSnapshotsRequest());
        var some = await EastClient.DescribeLockedSnapshotsAsync(new DescribeLockedSnapshotsRequest { Filters = [new Filter("lock-state", ["governance", "compliance"])] });
        var byId = await EastClient.DescribeLockedSnapshotsAsync(new DescribeLockedSnapshotsRequest { SnapshotIds = [coolOff, unlocked] });

        Assert.Equal(new[] { coolOff, compliance, governance }.Order(StringComparer.Ordinal), all.Snapshots.Select(s => s.SnapshotId).Order(StringComparer.Ordinal));
        Assert.Equal(new[] { compliance, governance }.Order(StringComparer.Ordinal), some.Snapshots.Select(s => s.SnapshotId).Order(StringComparer.Ordinal));
        Assert.Equal("compliance-cooloff", Assert.Single(byId.Snapshots).LockState.Value);
    }

    // [API_LockSnapshot] "You must specify either this parameter or ExpirationDate, but not both"; LockDuration "Min: 1,
    // max 36500"; CoolOffPeriod "Min 1, max 72" and "If you lock a snapshot in governance mode, omit CoolOffPeriod".
    [Fact]
    public async Task Lock_WithParametersOutsideTheDocumentedLimits_FailsAndLocksNothing()
    {
        var snapshotId = await SnapshotAsync(EastClient, Zone);
        LockSnapshotRequest Request(int? days = null, DateTime? until = null, int? coolOff = null, LockMode? mode = null) =>
            new() { SnapshotId = snapshotId, LockMode = mode ?? LockMode.Compliance, LockDuration = days, ExpirationDate = until, CoolOffPeriod = coolOff };

        await FailsWithAsync("InvalidParameterCombination", () => EastClient.LockSnapshotAsync(Request(days: 1, until: DateTime.UtcNow.AddDays(1))));
        await FailsWithAsync("MissingParameter", () => EastClient.LockSnapshotAsync(Request()));
        await FailsWithAsync("InvalidParameterValue", () => EastClient.LockSnapshotAsync(Request(days: 0)));
        await FailsWithAsync("InvalidParameterValue", () => EastClient.LockSnapshotAsync(Request(days: 36501)));
        await FailsWithAsync("InvalidParameterValue", () => EastClient.LockSnapshotAsync(Request(days: 1, coolOff: 73)));
        await FailsWithAsync("InvalidParameterValue", () => EastClient.LockSnapshotAsync(Request(until: DateTime.UtcNow.AddMinutes(-1))));
        await FailsWithAsync("InvalidParameterCombination", () => EastClient.LockSnapshotAsync(Request(days: 1, coolOff: 1, mode: LockMode.Governance)));
        await FailsWithAsync("InvalidSnapshot.NotFound", () => EastClient.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = "snap-0123456789abcdef0", LockMode = LockMode.Governance, LockDuration = 1 }));

        Assert.Empty((await EastClient.DescribeLockedSnapshotsAsync(new DescribeLockedSnapshotsRequest())).Snapshots ?? []);
        Assert.Equal(36500, (await EastClient.LockSnapshotAsync(Request(days: 36500, coolOff: 72))).LockDuration);
    }

    private static DateTime Utc(DateTime? value)
    {
        Assert.NotNull(value);
        return value.Value.Kind == DateTimeKind.Local ? value.Value.ToUniversalTime() : DateTime.SpecifyKind(value.Value, DateTimeKind.Utc);
    }
}
