using System.Globalization;
using System.Text.Json;
using Amazon.EC2;
using Amazon.EC2.Model;
using AmiRotator.Tests.Emulator;
using AmiRotator.Tests.Faults;
using Xunit;

namespace AmiRotator.Tests.Integration;

/// <summary>
/// Snapshot lock and deprecation through the real pass against the emulator, whose patches 15 and 16 follow
/// [API_LockSnapshot], [API_DescribeLockedSnapshots] and [API_EnableImageDeprecation] (see MotoSnapshotLockTests and
/// MotoImageDeprecationTests). A backup's time is its CreationDate, which the emulator sets from the real clock
/// (a copy carries its source's, tag ami-rotator:backup-time), so ageing is done by shifting the function's clock.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class LockAndDeprecationPassTests(MotoServer moto) : IAsyncLifetime
{
    private static readonly DateTimeOffset FirstNight = new(2026, 11, 24, 3, 0, 0, TimeSpan.Zero);

    public Task InitializeAsync() => moto.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static string Night(int days) => FirstNight.AddDays(days).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static string NameOf(DateTimeOffset night) => night.ToString("yyyyMMddTHHmm", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Pass_WithComplianceLock_LocksTheDrCopysSnapshots_UntilItsDrPolicyCouldFirstRetireIt()
    {
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 1);
        var settings = FaultWorld.Settings(retention: "keep-last=5", drRetention: "keep-daily=10");
        settings["DR_SNAPSHOT_LOCK"] = "compliance";
        var stack = EmulatedFunction.Create(moto, settings);
        await world.RunNightsAsync(stack, Night(0), Night(1)); // each night copies the backups of the one before

        var answer = await stack.InvokeAsync("""{"action":"prune"}"""); // finds that copy in the DR Region, and locks it

        using var west = moto.Client(FaultWorld.West);
        var copy = Assert.Single(await CopiesAsync(west), c => c.Name.Contains(NameOf(FirstNight), StringComparison.Ordinal));
        var snapshots = copy.BlockDeviceMappings.Select(b => b.Ebs.SnapshotId).ToList();
        var locks = (await west.DescribeLockedSnapshotsAsync(new DescribeLockedSnapshotsRequest { SnapshotIds = snapshots })).Snapshots;
        Assert.Equal(snapshots.Order(), locks.Select(l => l.SnapshotId).Order());
        // keep-daily=10 is sure to keep every nightly copy 9 days after its backup time.
        var backupTime = DateTimeOffset.Parse(FaultWorld.Tag(copy.Tags, "ami-rotator:backup-time"), CultureInfo.InvariantCulture);
        Assert.All(locks, l =>
        {
            Assert.Equal("compliance", l.LockState.Value);
            Assert.InRange(l.LockExpiresOn!.Value.ToUniversalTime(), backupTime.AddDays(9).UtcDateTime.AddSeconds(-1), backupTime.AddDays(9).UtcDateTime.AddSeconds(1));
        });
        Assert.Equal(snapshots.Order(), answer.GetProperty("locked").EnumerateArray().Select(l => l.GetProperty("snapshotId").GetString()).Order());
        // Locking is idempotent across passes: the next pass finds the locks and makes no LockSnapshot call.
        await moto.ResetCallsAsync();
        var again = await stack.InvokeAsync("""{"action":"prune"}""");
        Assert.False(again.TryGetProperty("locked", out var relocked) && relocked.ValueKind == JsonValueKind.Array, $"locked again: {again}");
        Assert.DoesNotContain(await moto.CallsAsync(), c => c.Action == "LockSnapshot");
    }

    [Fact]
    public async Task Prune_WhenACopyDueToRetireHasALockedSnapshot_KeepsIt_AndSaysUntilWhen()
    {
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 1);
        var settings = FaultWorld.Settings(retention: "keep-last=5", drRetention: "keep-last=1");
        var stack = EmulatedFunction.Create(moto, settings);
        await world.RunNightsAsync(stack, Night(0), Night(1)); // the first night's copy
        using var west = moto.Client(FaultWorld.West);
        var older = Assert.Single(await CopiesAsync(west));
        var snapshot = older.BlockDeviceMappings[0].Ebs.SnapshotId;
        // Locked by hand, say by an administrator after an incident.
        await west.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshot, LockMode = LockMode.Compliance, LockDuration = 30 });
        await world.RunNightsAsync(stack, Night(2)); // the second night's copy: keep-last=1 now wants the first one gone
        Assert.Equal(2, (await CopiesAsync(west)).Count);

        var prune = await stack.InvokeAsync("""{"action":"prune"}""");

        Assert.DoesNotContain(prune.GetProperty("retired").EnumerateArray(), r => r.GetProperty("imageId").GetString() == older.ImageId);
        var kept = Assert.Single(prune.GetProperty("kept").EnumerateArray(), k => k.GetProperty("imageId").GetString() == older.ImageId);
        Assert.Contains(kept.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.StartsWith($"snapshot {snapshot} locked (compliance) until ", StringComparison.Ordinal));
        Assert.Contains(await CopiesAsync(west), c => c.ImageId == older.ImageId);
        Assert.DoesNotContain(await moto.CallsAsync(), c => c.Action is "DeregisterImage" or "DeleteSnapshot" && c.Region == FaultWorld.West);
    }

    [Fact]
    public async Task Pass_WithDeprecateAfterDays_DeprecatesBackupsOnceTheyAreThatOld_InBothRegions_Once()
    {
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 1);
        var settings = FaultWorld.Settings(retention: "keep-last=5", drRetention: "keep-last=5");
        settings["DEPRECATE_AFTER_DAYS"] = "3";
        await world.RunNightsAsync(EmulatedFunction.Create(moto, settings), Night(0), Night(1), Night(2)); // three backups at home, two copied
        var young = await EmulatedFunction.Create(moto, settings).InvokeAsync("""{"action":"prune"}""");
        Assert.False(young.TryGetProperty("deprecated", out var none) && none.ValueKind == JsonValueKind.Array, $"deprecated too young: {young}");

        var later = new ShiftedClock(TimeSpan.FromDays(3) + TimeSpan.FromHours(1));
        var prune = await EmulatedFunction.Create(moto, settings, later).InvokeAsync("""{"action":"prune"}""");

        var deprecated = prune.GetProperty("deprecated").EnumerateArray().Select(d => (d.GetProperty("region").GetString(), d.GetProperty("imageId").GetString())).ToList();
        foreach (var (region, count) in new[] { (FaultWorld.East, 3), (FaultWorld.West, 2) })
        {
            using var ec2 = moto.Client(region);
            var images = await CopiesAsync(ec2);
            Assert.Equal(count, images.Count);
            Assert.All(images, image =>
            {
                Assert.Contains((region, image.ImageId), deprecated);
                // DeprecateAt is the next whole minute of the pass's clock: EC2 rounds it to the minute and refuses the past.
                var at = DateTimeOffset.Parse(image.DeprecationTime, CultureInfo.InvariantCulture);
                Assert.InRange(at, later.GetUtcNow(), later.GetUtcNow().AddMinutes(3));
            });
        }

        await moto.ResetCallsAsync();
        await EmulatedFunction.Create(moto, settings, later).InvokeAsync("""{"action":"prune"}""");
        Assert.DoesNotContain(await moto.CallsAsync(), c => c.Action == "EnableImageDeprecation");
    }

    private static async Task<List<Image>> CopiesAsync(AmazonEC2Client ec2) =>
        (await ec2.DescribeImagesAsync(new DescribeImagesRequest
        {
            Owners = ["self"],
            IncludeDeprecated = true,
            Filters = [new Filter("tag:ami-rotator:managed", ["true"])],
        })).Images ?? [];
}
