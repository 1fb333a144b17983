using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;
using static AmiRotator.Tests.Emulator.EmulatorImages;

namespace AmiRotator.Tests.Emulator;

/// <summary>
/// Patch 16 of test/moto/amirotator_moto.py: what a snapshot lock does to deletion, and locks set while the snapshot is
/// pending. [API_LockSnapshot] "A locked snapshot can't be deleted." [ebs/latest/userguide/snapshot-lock-considerations]
/// "If you lock a snapshot while it is in the pending state, and you lock it for a specific duration, the lock duration
/// starts only when the snapshot reaches the completed state. The snapshot can't be deleted while it is in the pending
/// state. If you lock a snapshot while it is in the pending state and the snapshot creation fails for any reason, the
/// lock is canceled." Neither DeleteSnapshot's error code (OperationNotPermitted here) nor DeregisterImage's return code
/// for a locked snapshot ("client-error" here; [API_DeleteSnapshotReturnCode]) is documented: both are guesses.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class MotoSnapshotLockDeletionTests : IAsyncLifetime
{
    private const string East = "us-east-1";
    private const string Zone = "us-east-1a";
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(30);

    private readonly MotoServer _moto;
    private readonly AmazonEC2Client _east;

    public MotoSnapshotLockDeletionTests(MotoServer moto)
    {
        _moto = moto;
        _east = moto.Client(East);
    }

    public Task InitializeAsync() => _moto.ResetAsync();

    public Task DisposeAsync()
    {
        _east.Dispose();
        return Task.CompletedTask;
    }

    // [ebs-snapshot-lock] "While a snapshot is locked, it can't be deleted by any user, regardless of their IAM
    // permissions." Governance: "To delete a snapshot after it has been locked in governance mode, you must first unlock
    // the snapshot or you must wait for the lock to expire." [snapshot-lock-concepts]
    [Fact]
    public async Task DeleteSnapshot_OfASnapshotLockedInGovernanceMode_FailsUntilItIsUnlocked()
    {
        var snapshotId = await SnapshotAsync(_east, Zone);
        await _east.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshotId, LockMode = LockMode.Governance, LockDuration = 7 });

        var refused = await FailsWithAsync("OperationNotPermitted", () => _east.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshotId }));

        Assert.Contains("locked", refused.Message, StringComparison.Ordinal);
        Assert.True(await SnapshotExistsAsync(_east, snapshotId));
        await _east.UnlockSnapshotAsync(new UnlockSnapshotRequest { SnapshotId = snapshotId });
        await _east.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshotId });
        Assert.False(await SnapshotExistsAsync(_east, snapshotId));
    }

    // DeregisterImage with DeleteAssociatedSnapshots deregisters the AMI, keeps its locked snapshot and says so in
    // deleteSnapshotResultSet; the unlocked one is deleted ("success").
    [Fact]
    public async Task DeregisterImage_WithDeleteAssociatedSnapshots_KeepsALockedSnapshot_AndReportsClientError()
    {
        var root = await SnapshotAsync(_east, Zone);
        var data = await SnapshotAsync(_east, Zone);
        var imageId = await RegisterAsync(_east, "locked-root", "/dev/xvda", ("/dev/xvda", root), ("/dev/xvdb", data));
        await _east.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = root, LockMode = LockMode.Compliance, LockDuration = 1 });

        var result = await _east.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageId, DeleteAssociatedSnapshots = true });

        Assert.Equal(
            new[] { (data, "success"), (root, "client-error") }.OrderBy(r => r.Item1, StringComparer.Ordinal),
            result.DeleteSnapshotResults.Select(r => (r.SnapshotId, r.ReturnCode.Value)).OrderBy(r => r.SnapshotId, StringComparer.Ordinal));
        Assert.Empty(await OwnImagesAsync(_east));
        Assert.True(await SnapshotExistsAsync(_east, root));
        Assert.False(await SnapshotExistsAsync(_east, data));
    }

    // The lock can be set while the snapshot is pending; its duration has not started, so LockDurationStartTime and
    // LockExpiresOn are absent until the snapshot completes [API_LockedSnapshotsInfo] lockDurationStartTime "If you lock a
    // snapshot that is in the pending state, the lock duration starts only once the snapshot enters the completed state."
    [Fact]
    public async Task Lock_WhileTheSnapshotIsPending_StartsItsDurationWhenTheSnapshotCompletes()
    {
        await _moto.SetNewImageStateAsync("pending");
        var imageId = await CreateImageAsync(_moto, _east, East, "pending-image");
        var snapshotId = (await DescribeImageAsync(_east, imageId)).BlockDeviceMappings[0].Ebs.SnapshotId;

        var locked = await _east.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshotId, LockMode = LockMode.Governance, LockDuration = 7 });

        Assert.Equal(("governance", 7), (locked.LockState.Value, locked.LockDuration));
        Assert.NotNull(locked.LockCreatedOn);
        Assert.Null(locked.LockDurationStartTime);
        Assert.Null(locked.LockExpiresOn);

        var completedAt = DateTime.UtcNow;
        await _moto.SetImageStateAsync(imageId, "available");

        var info = Assert.Single((await _east.DescribeLockedSnapshotsAsync(new DescribeLockedSnapshotsRequest { SnapshotIds = [snapshotId] })).Snapshots);
        var start = Utc(info.LockDurationStartTime);
        Assert.InRange(start, completedAt - Slack, DateTime.UtcNow + Slack);
        Assert.Equal(start.AddDays(7), Utc(info.LockExpiresOn));
        Assert.Equal("governance", info.LockState.Value);
    }

    // "The snapshot can't be deleted while it is in the pending state" (locked while pending).
    [Fact]
    public async Task DeleteSnapshot_OfAPendingLockedSnapshot_Fails()
    {
        await _moto.SetNewImageStateAsync("pending");
        var imageId = await CreateImageAsync(_moto, _east, East, "pending-locked");
        var snapshotId = (await DescribeImageAsync(_east, imageId)).BlockDeviceMappings[0].Ebs.SnapshotId;
        await _east.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshotId, LockMode = LockMode.Compliance, ExpirationDate = DateTime.UtcNow.AddDays(1) });
        await _east.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageId }); // no longer an AMI's root

        await FailsWithAsync("OperationNotPermitted", () => _east.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshotId }));

        Assert.True(await SnapshotExistsAsync(_east, snapshotId));
    }

    // "If you lock a snapshot while it is in the pending state and the snapshot creation fails for any reason, the lock
    // is canceled." "You can lock a snapshot only if it is in the pending or completed state." (IncorrectState: a guess.)
    [Fact]
    public async Task Lock_WhilePending_IsCanceledWhenTheSnapshotFails_AndAFailedSnapshotCantBeLocked()
    {
        await _moto.SetNewImageStateAsync("pending");
        var imageId = await CreateImageAsync(_moto, _east, East, "fails-later");
        var snapshotId = (await DescribeImageAsync(_east, imageId)).BlockDeviceMappings[0].Ebs.SnapshotId;
        await _east.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshotId, LockMode = LockMode.Compliance, LockDuration = 30 });

        await _moto.SetImageStateAsync(imageId, "failed", "snapshot creation failed");

        Assert.Empty((await _east.DescribeLockedSnapshotsAsync(new DescribeLockedSnapshotsRequest { SnapshotIds = [snapshotId] })).Snapshots ?? []);
        await FailsWithAsync("IncorrectState", () => _east.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshotId, LockMode = LockMode.Governance, LockDuration = 1 }));
    }

    private static DateTime Utc(DateTime? value)
    {
        Assert.NotNull(value);
        return value.Value.Kind == DateTimeKind.Local ? value.Value.ToUniversalTime() : DateTime.SpecifyKind(value.Value, DateTimeKind.Utc);
    }
}
