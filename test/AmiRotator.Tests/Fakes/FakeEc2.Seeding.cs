using AmiRotator.Inventory;

namespace AmiRotator.Tests.Fakes;

/// <summary>
/// What tests use to set the fake EC2 up (instances, images, snapshots, references, image states) and to read it back.
/// </summary>
internal sealed partial class FakeEc2
{
    // ---- Seeding ---------------------------------------------------------------------------------------------

    public string AddInstance(string region, string? instanceId = null, IReadOnlyDictionary<string, string>? tags = null, string state = "running")
    {
        lock (gate)
        {
            var id = instanceId ?? NewId("i-");
            if (!instances.TryAdd(id, new FakeInstance(id, region, state, Copy(tags))))
            {
                throw new InvalidOperationException($"instance {id} already exists; instance ids are unique across Regions");
            }

            return id;
        }
    }

    /// <summary>
    /// Registers an image as it would be after CreateImage, CopyImage or RegisterImage, in any state and of any
    /// owner. Snapshots named in <paramref name="snapshotIds"/> that don't exist yet are created (owned by the image's
    /// owner, tagged with <paramref name="snapshotTags"/> or else the image's tags); existing ones are shared.
    /// </summary>
    public string AddImage(
        string region,
        string? imageId = null,
        string? name = null,
        string state = ImageStates.Available,
        string? ownerId = null,
        DateTimeOffset? creationDate = null,
        IReadOnlyDictionary<string, string>? tags = null,
        IReadOnlyList<string>? snapshotIds = null,
        IReadOnlyDictionary<string, string>? snapshotTags = null)
    {
        lock (gate)
        {
            var id = imageId ?? NewId("ami-");
            var owner = ownerId ?? AccountId;
            var created = creationDate ?? clock.GetUtcNow();
            var imageName = name ?? $"seeded-{id}";
            if (images.ContainsKey(id))
            {
                throw new InvalidOperationException($"image {id} is already registered");
            }

            if (FindByName(region, owner, imageName) is { } clash)
            {
                throw new InvalidOperationException($"{region} already has an image named {imageName} ({clash.ImageId}); AMI names are unique per account and Region");
            }

            var ids = snapshotIds ?? [NewId("snap-")];
            foreach (var snapshotId in ids.Where(s => !snapshots.ContainsKey(s)))
            {
                snapshots[snapshotId] = new FakeSnapshot(snapshotId, region, owner, SnapshotStateFor(state), created, Copy(snapshotTags ?? tags));
            }

            Register(new FakeImage(id, region, imageName, state, owner, created, Copy(tags), [.. ids]));
            return id;
        }
    }

    /// <summary>A snapshot no image uses (yet): an orphan, or one a test registers an image on later.</summary>
    public string AddSnapshot(string region, string? snapshotId = null, IReadOnlyDictionary<string, string>? tags = null, DateTimeOffset? startTime = null, string state = "completed", string? ownerId = null)
    {
        lock (gate)
        {
            var id = snapshotId ?? NewId("snap-");
            if (!snapshots.TryAdd(id, new FakeSnapshot(id, region, ownerId ?? AccountId, state, startTime ?? clock.GetUtcNow(), Copy(tags))))
            {
                throw new InvalidOperationException($"snapshot {id} already exists");
            }

            return id;
        }
    }

    /// <summary>Something that uses the image, as DescribeImageReferences reports it (an instance or launch template ARN).</summary>
    public void AddReference(string region, string imageId, string arn)
    {
        lock (gate)
        {
            if (!references.TryGetValue((region, imageId), out var arns))
            {
                arns = [];
                references[(region, imageId)] = arns;
            }

            arns.Add(arn);
        }
    }

    /// <summary>
    /// Moves an image to <paramref name="state"/> (pending → available or failed, as EC2 does asynchronously). Its
    /// snapshots follow: completed once the image is available, pending while it is pending.
    /// </summary>
    public void SetImageState(string imageId, string state)
    {
        lock (gate)
        {
            var image = images.GetValueOrDefault(imageId) ?? throw new InvalidOperationException($"no registered image {imageId}");
            images[imageId] = image with { State = state };
            foreach (var snapshotId in image.SnapshotIds)
            {
                if (snapshots.TryGetValue(snapshotId, out var snapshot))
                {
                    snapshots[snapshotId] = snapshot with { State = SnapshotStateFor(state) };
                }
            }
        }
    }

    /// <summary>Every pending image (of <paramref name="region"/>, or everywhere) becomes available.</summary>
    public void CompletePendingImages(string? region = null)
    {
        foreach (var image in AllImages().Where(i => i.State == ImageStates.Pending && (region is null || i.Region == region)))
        {
            SetImageState(image.ImageId, ImageStates.Available);
        }
    }

    // ---- Inspection ------------------------------------------------------------------------------------------

    /// <summary>Registered images of every owner in <paramref name="region"/>, by id.</summary>
    public IReadOnlyList<FakeImage> Images(string region) => [.. AllImages().Where(i => i.Region == region)];

    public FakeImage? Image(string imageId)
    {
        lock (gate)
        {
            return images.GetValueOrDefault(imageId);
        }
    }

    /// <summary>Snapshots of every owner in <paramref name="region"/>, by id.</summary>
    public IReadOnlyList<FakeSnapshot> Snapshots(string region)
    {
        lock (gate)
        {
            return [.. snapshots.Values.Where(s => s.Region == region).OrderBy(s => s.SnapshotId, StringComparer.Ordinal)];
        }
    }

    public FakeSnapshot? Snapshot(string snapshotId)
    {
        lock (gate)
        {
            return snapshots.GetValueOrDefault(snapshotId);
        }
    }

    private IReadOnlyList<FakeImage> AllImages()
    {
        lock (gate)
        {
            return [.. images.Values.OrderBy(i => i.ImageId, StringComparer.Ordinal)];
        }
    }
}
