using System.Text.Json;
using Amazon.EC2;
using Amazon.EC2.Model;
using AmiRotator.Tests.Emulator;
using Xunit;

namespace AmiRotator.Tests.Faults;

/// <summary>
/// A small account in the emulator for the fault scenarios: tagged instances in the source Region, one untagged
/// instance, and things AmiRotator did not make (an AMI with its snapshot and a lone snapshot), plus the checks of
/// the final state every scenario ends with. The checks read the emulator directly, never through the proxy.
/// </summary>
internal sealed class FaultWorld
{
    public const string East = "us-east-1";
    public const string West = "us-west-2";
    public const string Account = "123456789012";
    private const string Managed = "ami-rotator:managed";
    private const string InstanceTag = "ami-rotator:instance-id";
    private const string SourceImageTag = "ami-rotator:source-image-id";

    private readonly MotoServer moto;

    private FaultWorld(MotoServer moto, IReadOnlyList<string> tagged, string untagged, string unmanagedImage, string unmanagedSnapshot, IReadOnlyList<string> unmanagedImageSnapshots)
    {
        this.moto = moto;
        Tagged = tagged;
        Untagged = untagged;
        UnmanagedImage = unmanagedImage;
        UnmanagedSnapshot = unmanagedSnapshot;
        UnmanagedImageSnapshots = unmanagedImageSnapshots;
    }

    public IReadOnlyList<string> Tagged { get; }

    public string Untagged { get; }

    public string UnmanagedImage { get; }

    public string UnmanagedSnapshot { get; }

    public IReadOnlyList<string> UnmanagedImageSnapshots { get; }

    public static string ScheduledEvent(string time) =>
        $$$"""{"version":"0","id":"e-{{{time}}}","detail-type":"Scheduled Event","source":"aws.events","account":"{{{Account}}}","time":"{{{time}}}","region":"{{{East}}}","resources":[],"detail":{}}""";

    public static string ImageAvailableEvent(string imageId) =>
        $$$"""{"version":"0","id":"a-{{{imageId}}}","detail-type":"EC2 AMI State Change","source":"aws.ec2","account":"{{{Account}}}","time":"2026-11-26T03:10:00Z","region":"{{{East}}}","resources":["arn:aws:ec2:{{{East}}}::image/{{{imageId}}}"],"detail":{"RequestId":"r","ImageId":"{{{imageId}}}","State":"available","ErrorMessage":""}}""";

    public static async Task<FaultWorld> SeedAsync(MotoServer moto, int taggedInstances)
    {
        await moto.ResetAsync();
        var tagged = new List<string>();
        for (var i = 0; i < taggedInstances; i++)
        {
            tagged.Add(await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true", ["Name"] = $"web-{i}" }));
        }

        var untagged = await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Name"] = "scratch" });
        using var ec2 = moto.Client(East);
        var image = await ec2.CreateImageAsync(new CreateImageRequest { InstanceId = untagged, Name = "hand-made-golden-image", NoReboot = true });
        var imageSnapshots = (await ec2.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [image.ImageId] })).Images[0].BlockDeviceMappings
            .Select(b => b.Ebs?.SnapshotId).OfType<string>().ToList();
        var volume = await ec2.CreateVolumeAsync(new CreateVolumeRequest { AvailabilityZone = "us-east-1a", Size = 1 });
        var snapshot = await ec2.CreateSnapshotAsync(new CreateSnapshotRequest
        {
            VolumeId = volume.Volume.VolumeId,
            TagSpecifications = [new TagSpecification { ResourceType = ResourceType.Snapshot, Tags = [new Tag("Team", "ops")] }],
        });
        await moto.ResetCallsAsync();
        return new FaultWorld(moto, tagged, untagged, image.ImageId, snapshot.Snapshot.SnapshotId, imageSnapshots);
    }

    public static Dictionary<string, string> Settings(string retention = "keep-daily=7", string drRetention = "keep-daily=7") => new()
    {
        ["DR_REGION"] = West,
        ["RETENTION"] = retention,
        ["DR_RETENTION"] = drRetention,
        ["BACKUP_TAG"] = "Backup=true",
    };

    /// <summary>The settings of the scenarios with history: one backup kept at the source, every backup wanted in the DR Region.</summary>
    public static Dictionary<string, string> KeepLastSettings() => Settings(retention: "keep-last=1", drRetention: "keep-last=10");

    /// <summary>
    /// Two clean nights before the one under test, straight to the emulator: the first night's backups are copied
    /// on the second, so the third has backups to make, one night to copy and one to retire in the source Region.
    /// </summary>
    public Task RunCleanNightsAsync(params string[] times) =>
        RunNightsAsync(Integration.EmulatedFunction.Create(moto, KeepLastSettings()), times);

    /// <summary>Scheduled nights of <paramref name="function"/>, one after another, then a clean call log.</summary>
    public async Task RunNightsAsync(Function function, params string[] times)
    {
        foreach (var time in times)
        {
            await Integration.EmulatedFunction.InvokeAsync(function, ScheduledEvent(time));
            await Task.Delay(1100); // CreationDate has one-second resolution: the next night must be newer
        }

        await moto.ResetCallsAsync();
    }

    /// <summary>Every managed image of the account in <paramref name="region"/>, any state but deregistered.</summary>
    public async Task<List<Image>> ManagedImagesAsync(string region)
    {
        using var ec2 = moto.Client(region);
        var images = (await ec2.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"], IncludeDeprecated = true, IncludeDisabled = true })).Images ?? [];
        return [.. images.Where(i => Tag(i.Tags, Managed) == "true" && i.State != ImageState.Deregistered)];
    }

    /// <summary>
    /// The state every scenario must end in: exactly one backup per tagged instance for <paramref name="timeTag"/> and
    /// none of anything else; exactly one DR copy of every source backup, and no copy twice; no managed snapshot that
    /// no registered image uses; and what AmiRotator did not make, untouched.
    /// </summary>
    public async Task AssertConvergedAsync(string timeTag)
    {
        var east = await ManagedImagesAsync(East);
        var west = await ManagedImagesAsync(West);
        var state = $"\neast: {Describe(east)}\nwest: {Describe(west)}";

        var forNight = east.Where(i => i.Name.Contains($"-{timeTag}-", StringComparison.Ordinal)).ToList();
        Assert.True(
            Tagged.Order(StringComparer.Ordinal).SequenceEqual(forNight.Select(i => Tag(i.Tags, InstanceTag)).Order(StringComparer.Ordinal)),
            $"not exactly one {timeTag} backup per tagged instance:{state}");
        Assert.All(east, i => Assert.True(i.State == ImageState.Available, $"{i.ImageId} is {i.State}:{state}"));
        Assert.DoesNotContain(east, i => Tag(i.Tags, InstanceTag) == Untagged);

        var copiesBySource = west.GroupBy(i => Tag(i.Tags, SourceImageTag)).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(copiesBySource.Values.All(c => c == 1), $"a source backup was copied more than once:{state}");
        Assert.True(east.All(i => copiesBySource.GetValueOrDefault(i.ImageId) == 1), $"a source backup has no DR copy:{state}");

        foreach (var region in new[] { East, West })
        {
            await AssertNoOrphanedManagedSnapshotAsync(region);
        }

        await AssertUnmanagedUntouchedAsync();
    }

    public async Task AssertNoOrphanedManagedSnapshotAsync(string region)
    {
        using var ec2 = moto.Client(region);
        var images = (await ec2.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"], IncludeDeprecated = true, IncludeDisabled = true })).Images ?? [];
        var used = images.Where(i => i.State != ImageState.Deregistered).SelectMany(i => i.BlockDeviceMappings ?? []).Select(b => b.Ebs?.SnapshotId).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var snapshots = (await ec2.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { OwnerIds = ["self"], Filters = [new Filter($"tag:{Managed}", ["true"])] })).Snapshots ?? [];
        var orphans = snapshots.Where(s => !used.Contains(s.SnapshotId)).Select(s => s.SnapshotId).ToList();
        Assert.True(orphans.Count == 0, $"orphaned managed snapshots in {region}: {string.Join(", ", orphans)}");
    }

    public async Task AssertUnmanagedUntouchedAsync()
    {
        using var ec2 = moto.Client(East);
        var image = Assert.Single((await ec2.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [UnmanagedImage] })).Images);
        Assert.Equal(ImageState.Available, image.State);
        Assert.DoesNotContain(image.Tags ?? [], t => t.Key.StartsWith("ami-rotator:", StringComparison.Ordinal));
        var snapshots = (await ec2.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { SnapshotIds = [UnmanagedSnapshot, .. UnmanagedImageSnapshots] })).Snapshots ?? [];
        Assert.Equal(1 + UnmanagedImageSnapshots.Count, snapshots.Count);
        Assert.All(snapshots, s => Assert.DoesNotContain(s.Tags ?? [], t => t.Key.StartsWith("ami-rotator:", StringComparison.Ordinal)));
        Assert.Equal("ops", Tag(snapshots.Single(s => s.SnapshotId == UnmanagedSnapshot).Tags, "Team"));
    }

    public static string Tag(List<Tag>? tags, string key) => tags?.FirstOrDefault(t => t.Key == key)?.Value ?? "";

    /// <summary>Errors in a summary that name throttling: the scenarios allow none (no item fails for throttling alone).</summary>
    public static List<string> ThrottlingFailures(JsonElement summary) =>
        [.. summary.TryGetProperty("failures", out var failures)
            ? failures.EnumerateArray().Select(f => f.GetProperty("error").GetString() ?? "").Where(e => e.Contains("RequestLimitExceeded", StringComparison.Ordinal) || e.Contains("capacity", StringComparison.OrdinalIgnoreCase))
            : []];

    private static string Describe(List<Image> images) =>
        string.Join("; ", images.OrderBy(i => i.Name, StringComparer.Ordinal).Select(i => $"{i.ImageId} {i.Name} {i.State} src={Tag(i.Tags, SourceImageTag)}"));
}
