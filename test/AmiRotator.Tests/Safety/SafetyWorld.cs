using AmiRotator.Configuration;
using AmiRotator.Inventory;
using AmiRotator.Planning;
using AmiRotator.Tests.Fakes;

namespace AmiRotator.Tests.Safety;

/// <summary>
/// One generated account: what EC2 holds in the source and DR Regions (images of this and another account,
/// copies from this and another Region, shared and orphaned snapshots), what uses which image, which EC2 calls
/// will fail, and the settings. The same world is handed to the planner as an <see cref="Inventory.Inventory"/>
/// and seeded into a <see cref="FakeEc2"/>, so the plan judged by the properties is the plan that gets executed.
/// </summary>
internal sealed record SafetyWorld(
    IReadOnlyDictionary<string, string> Variables,
    IReadOnlyList<Ec2Instance> Instances,
    IReadOnlyList<Ec2Image> Images,
    IReadOnlyList<FakeSnapshot> Snapshots,
    IReadOnlySet<string> OrphanSnapshotIds,
    IReadOnlyDictionary<string, IReadOnlyList<string>> References,
    IReadOnlySet<string> UncheckedImageIds,
    IReadOnlyDictionary<string, string> DeleteSnapshotReturnCodes,
    IReadOnlySet<string> FailingSnapshotDeletions,
    IReadOnlySet<string> FailingDeregistrations)
{
    public const string Account = FakeEc2.DefaultAccountId;
    public const string OtherAccount = "210987654321";
    public const string Source = "eu-west-1";
    public const string Dr = "eu-central-1";

    /// <summary>A Region whose own AmiRotator also copies into <see cref="Dr"/>: its copies are not ours to judge.</summary>
    public const string OtherRegion = "us-west-2";

    /// <summary>This stack's owner, and another stack's in the same account and Region (a monthly one, say).</summary>
    public const string Owner = "stack-a@eu-west-1";
    public const string OtherOwner = "stack-b@eu-west-1";

    public static readonly DateTimeOffset Now = new(2026, 11, 26, 3, 0, 0, TimeSpan.Zero);

    public Settings Settings() => AmiRotator.Configuration.Settings.FromEnvironment(name => Variables.GetValueOrDefault(name));

    public static PassScope PruneScope(DateTimeOffset now) => new(Backup: false, Copy: false, Prune: true, now);

    public Inventory.Inventory Inventory() => new(Account, Instances, RegionOf(Source), RegionOf(Dr));

    /// <summary>DescribeImageReferences' full answer: every image checked, with what uses it.</summary>
    public ImageReferences Truth() => Answer(checkedAll: true);

    /// <summary>The answer as generated: images in <see cref="UncheckedImageIds"/> went unanswered (the check failed for them).</summary>
    public ImageReferences AsGenerated() => Answer(checkedAll: false);

    public bool IsReferenced(string imageId) => References.ContainsKey(imageId);

    /// <summary>The images a pass in <see cref="Source"/> may judge (its own backups, and its copies in the DR Region).</summary>
    public static bool IsOwnedBackup(Ec2Image image) =>
        IsOurKind(image) && image.Tags.GetValueOrDefault(ManagedTags.Owner) == Owner;

    /// <summary>A backup of our kind made before owners were recorded: no owner tag at all.</summary>
    public static bool IsLegacyBackup(Ec2Image image) =>
        IsOurKind(image) && !image.Tags.ContainsKey(ManagedTags.Owner);

    private static bool IsOurKind(Ec2Image image) =>
        image.Tags.GetValueOrDefault(ManagedTags.Managed) == ManagedTags.ManagedValue
        && image.OwnerId == Account
        && image.State != ImageStates.Deregistered
        && (image.Region == Dr
            ? image.Tags.ContainsKey(ManagedTags.SourceImageId) && image.Tags.GetValueOrDefault(ManagedTags.SourceRegion) == Source
            : !image.Tags.ContainsKey(ManagedTags.SourceImageId));

    /// <summary>Snapshots the pass's orphan sweep is responsible for: managed, of this account, and from this Region's backups.</summary>
    public static bool IsOwnedSnapshot(FakeSnapshot snapshot) =>
        snapshot.OwnerId == Account
        && snapshot.Tags.GetValueOrDefault(ManagedTags.Managed) == ManagedTags.ManagedValue
        && snapshot.Tags.GetValueOrDefault(ManagedTags.Owner) == Owner
        && (snapshot.Region == Dr
            ? snapshot.Tags.GetValueOrDefault(ManagedTags.SourceRegion) == Source
            : !snapshot.Tags.ContainsKey(ManagedTags.SourceRegion));

    public Ec2Image Image(string imageId) => Images.Single(i => i.ImageId == imageId);

    /// <summary>Puts the world into <paramref name="ec2"/>, faults included.</summary>
    public void Seed(FakeEc2 ec2)
    {
        foreach (var instance in Instances)
        {
            ec2.AddInstance(Source, instance.InstanceId, instance.Tags, instance.State);
        }

        foreach (var snapshot in Snapshots)
        {
            ec2.AddSnapshot(snapshot.Region, snapshot.SnapshotId, snapshot.Tags, snapshot.StartTime, snapshot.State, snapshot.OwnerId);
        }

        foreach (var image in Images)
        {
            ec2.AddImage(image.Region, image.ImageId, image.Name, image.State, image.OwnerId, image.CreationDate, image.Tags, image.SnapshotIds);
        }

        foreach (var (imageId, arns) in References)
        {
            foreach (var arn in arns)
            {
                ec2.AddReference(Image(imageId).Region, imageId, arn);
            }
        }

        foreach (var (snapshotId, code) in DeleteSnapshotReturnCodes)
        {
            ec2.SetDeleteSnapshotReturnCode(snapshotId, code);
        }

        foreach (var snapshotId in FailingSnapshotDeletions)
        {
            ec2.FailDeleteSnapshot(snapshotId);
        }

        foreach (var imageId in FailingDeregistrations)
        {
            ec2.FailDeregisterImage(imageId);
        }
    }

    /// <summary>Drops images (and the snapshots only they used), keeping the world consistent; for shrinking.</summary>
    public SafetyWorld Without(Func<Ec2Image, bool> drop)
    {
        var images = Images.Where(i => !drop(i)).ToList();
        var used = images.SelectMany(i => i.SnapshotIds).ToHashSet(StringComparer.Ordinal);
        return this with
        {
            Images = images,
            Snapshots = [.. Snapshots.Where(s => used.Contains(s.SnapshotId) || OrphanSnapshotIds.Contains(s.SnapshotId))],
        };
    }

    public override string ToString()
    {
        var lines = new List<string> { $"env: {string.Join(", ", Variables.Select(e => $"{e.Key}={e.Value}"))}" };
        lines.AddRange(Instances.Select(i => $"instance {i.InstanceId} {i.State} retention={i.RetentionOverride ?? "-"}"));
        lines.AddRange(Images.Select(i =>
            $"image {i.ImageId} {i.Region} {i.State} owner={i.OwnerId} created={i.CreationDate:yyyy-MM-dd'T'HH:mm} snaps=[{string.Join(' ', i.SnapshotIds)}] " +
            $"tags={{{string.Join(", ", i.Tags.Select(t => $"{t.Key.Replace("ami-rotator:", "", StringComparison.Ordinal)}={t.Value}"))}}}" +
            $"{(IsReferenced(i.ImageId) ? " IN-USE" : "")}{(UncheckedImageIds.Contains(i.ImageId) ? " UNCHECKED" : "")}{(FailingDeregistrations.Contains(i.ImageId) ? " DEREGISTER-FAILS" : "")}"));
        lines.AddRange(Snapshots.Where(s => OrphanSnapshotIds.Contains(s.SnapshotId)).Select(s => $"orphan {s.SnapshotId} {s.Region} {s.State} started={s.StartTime:yyyy-MM-dd'T'HH:mm}"));
        lines.AddRange(DeleteSnapshotReturnCodes.Select(f => $"fault {f.Key}: DeregisterImage reports {f.Value}"));
        lines.AddRange(FailingSnapshotDeletions.Select(s => $"fault {s}: DeleteSnapshot fails"));
        return string.Join('\n', lines);
    }

    private RegionInventory RegionOf(string region) => new(
        region,
        [.. Images.Where(i => i.Region == region)],
        [.. Snapshots
            .Where(s => s.Region == region && s.OwnerId == Account && s.Tags.GetValueOrDefault(ManagedTags.Managed) == ManagedTags.ManagedValue)
            .Select(s => new Ec2Snapshot(s.SnapshotId, region, s.State, s.StartTime, s.Tags))]);

    private ImageReferences Answer(bool checkedAll)
    {
        var answered = Images
            .Where(i => checkedAll || !UncheckedImageIds.Contains(i.ImageId))
            .ToDictionary(i => i.ImageId, i => References.GetValueOrDefault(i.ImageId) ?? [], StringComparer.Ordinal);
        return new ImageReferences(answered, !checkedAll && UncheckedImageIds.Count > 0 ? "DescribeImageReferences failed (generated)" : null);
    }
}
