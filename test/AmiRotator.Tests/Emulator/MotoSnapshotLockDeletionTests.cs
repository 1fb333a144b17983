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
public sealed class MotoSnapshotLockDeletionTests(MotoServer moto) : MotoPatchTests(moto)
{
    private const string Zone = "us-east-1a";
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(30);

    // [ebs-snapshot-lock] "While a snapshot is locked, it can't be deleted by any user, regardless of their IAM
    // permissions." Governance: "To delete a snapshot after it has been locked in governance mode, you must first unlock
    // the snapshot or you must wait for the lock to expire." [snapshot-lock-concepts]
    [Fact]
    public async Task DeleteSnapshot_OfASnapshotLockedInGovernanceMode_FailsUntilItIsUnlocked()
    {
        var snapshotId = await SnapshotAsync(EastClient, Zone);
        await EastClient.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshotId, LockMode = LockMode.Governance, LockDuration = 7 });

        var refused = await FailsWithAsync("OperationNotPermitted", () => EastClient.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshotId }));

        Assert.Contains("locked", refused.Message, StringComparison.Ordinal);
        Assert.True(await SnapshotExistsAsync(EastClient, snapshotId));
        await EastClient.UnlockSnapshotAsync(new UnlockSnapshotRequest { SnapshotId = snapshotId });
        await EastClient.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshotId });
        Assert.False(await SnapshotExistsAsync(EastClient, snapshotId));
    }

    // DeregisterImage with DeleteAssociatedSnapshots deregisters the AMI, keeps its locked snapshot and says so in
    // deleteSnapshotResultSet; the unlocked one is deleted ("success").
    [Fact]
    public async Task DeregisterImage_WithDeleteAssociatedSnapshots_KeepsALockedSnapshot_AndReportsClientError()
    {
        var root = await SnapshotAsync(EastClient, Zone);
        var data = await SnapshotAsync(EastClient, Zone);
        var imageId = await RegisterAsync(EastClient, "locked-root", "/dev/xvda", ("/dev/xvda", root), ("/dev/xvdb", data));
        await EastClient.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = root, LockMode = LockMode.Compliance, LockDuration = 1 });

        var result = await EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageId, DeleteAssociatedSnapshots = true });

        Assert.Equal(
            new[] { (data, "success"), (root, "client-error") }.OrderBy(r => r.Item1, StringComparer.Ordinal),
            result.DeleteSnapshotResults.Select(r => (r.SnapshotId, r.ReturnCode.Value)).OrderBy(r => r.SnapshotId, StringComparer.Ordinal));
        Assert.Empty(await OwnImagesAsync(EastClient));
        Assert.True(await SnapshotExistsAsync(EastClient, root));
        Assert.False(await SnapshotExistsAsync(EastClient, data));
    }

    // The lock can be set while the snapshot is pending; its duration has not started, so LockDurationStartTime and
    // LockExpiresOn are absent until the snapshot completes [API_LockedSnapshotsInfo] lockDurationStartTime "If you lock a
    // snapshot that is in the pending state, the lock duration starts only once the snapshot enters the completed state."
    [Fact]
    public async Task Lock_WhileTheSnapshotIsPending_StartsItsDurationWhenTheSnapshotCompletes()
    {
        await Moto.SetNewImageStateAsync("pending");
        var imageId = await CreateImageAsync(Moto, EastClient, East, "pending-image");
        var snapshotId = (await DescribeImageAsync(EastClient, imageId)).BlockDeviceMappings[0].Ebs.SnapshotId;

        var locked = await EastClient.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshotId, LockMode = LockMode.Governance, LockDuration = 7 });

        Assert.Equal(("governance", 7), (locked.LockState.Value, locked.LockDuration));
        Assert.NotNull(locked.LockCreatedOn);
        Assert.Null(locked.LockDurationStartTime);
        Assert.Null(locked.LockExpiresOn);

        var completedAt = DateTime.UtcNow;
        await Moto.SetImageStateAsync(imageId, "available");

        var info = Assert.Single((await EastClient.DescribeLockedSnapshotsAsync(new DescribeLockedSnapshotsRequest { SnapshotIds = [snapshotId] })).Snapshots);
        var start = Utc(info.LockDurationStartTime);
        Assert.InRange(start, completedAt - Slack, DateTime.UtcNow + Slack);
        Assert.Equal(start.AddDays(7), Utc(info.LockExpiresOn));
        Assert.Equal("governance", info.LockState.Value);
    }

    // "The snapshot can't be deleted while it is in the pending state" (locked while pending).
    [Fact]
    public async Task DeleteSnapshot_OfAPendingLockedSnapshot_Fails()
    {
        await Moto.SetNewImageStateAsync("pending");
        var imageId = await CreateImageAsync(Moto, EastClient, East, "pending-locked");
        var snapshotId = (await DescribeImageAsync(EastClient, imageId)).BlockDeviceMappings[0].Ebs.SnapshotId;
        await EastClient.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshotId, LockMode = LockMode.Compliance, ExpirationDate = DateTime.UtcNow.AddDays(1) });
        await EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageId }); // no longer an AMI's root

        await FailsWithAsync("OperationNotPermitted", () => EastClient.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshotId }));

        Assert.True(await SnapshotExistsAsync(EastClient, snapshotId));
    }

    // "If you lock a snapshot while it is in the pending state and the snapshot creation fails for any reason, the lock
    // is canceled." "You can lock a snapshot only if it is in the pending or completed state." (IncorrectState: a guess.)
    [Fact]
    public async Task Lock_WhilePending_IsCanceledWhenTheSnapshotFails_AndAFailedSnapshotCantBeLocked()
    {
        await Moto.SetNewImageStateAsync("pending");
        var imageId = await CreateImageAsync(Moto, EastClient, East, "fails-later");
        var snapshotId = (await DescribeImageAsync(EastClient, imageId)).BlockDeviceMappings[0].Ebs.SnapshotId;
        await EastClient.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshotId, LockMode = LockMode.Compliance, LockDuration = 30 });

        await Moto.SetImageStateAsync(imageId, "failed", "snapshot creation failed");

        Assert.Empty((await EastClient.DescribeLockedSnapshotsAsync(new DescribeLockedSnapshotsRequest { SnapshotIds = [snapshotId] })).Snapshots ?? []);
        await FailsWithAsync("IncorrectState", () => EastClient.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshotId, LockMode = LockMode.Governance, LockDuration = 1 }));
    }

    private static DateTime Utc(DateTime? value)
    {
        Assert.NotNull(value);
        return value.Value.Kind == DateTimeKind.Local ? value.Value.ToUniversalTime() : DateTime.SpecifyKind(value.Value, DateTimeKind.Utc);
    }
}
