using AmiRotator.Ec2;
using AmiRotator.Inventory;

namespace AmiRotator.Tests.Fakes;

/// <summary>
/// The EC2 behaviours the seam's newer calls depend on, as the API reference describes them: reading one image back
/// (found, gone, or not visible yet), what still needs a snapshot (registered images and the Recycle Bin),
/// CreateTags on existing resources, deregistration protection, and a Region-level Recycle Bin rule for AMIs.
/// </summary>
internal sealed partial class FakeEc2
{
    /// <summary>The error DeregisterImage answers while deregistration protection is on (see Ec2Errors).</summary>
    public const string ProtectedErrorCode = Ec2Errors.DeregistrationProtected;

    private readonly Dictionary<string, FakeImage> recycleBin = new(StringComparer.Ordinal);
    private readonly HashSet<string> notYetVisible = new(StringComparer.Ordinal);

    /// <summary>A Region-level Recycle Bin retention rule for AMIs: deregistered images are kept in the bin this long.</summary>
    public TimeSpan? RecycleBinRetention { get; set; }

    /// <summary>[EnableImageDeregistrationProtection]: DeregisterImage then fails for the image.</summary>
    public void EnableDeregistrationProtection(string imageId, bool withCooldown = false)
    {
        lock (gate)
        {
            var image = images.GetValueOrDefault(imageId) ?? throw new InvalidOperationException($"no registered image {imageId}");
            images[imageId] = image with { DeregistrationProtection = withCooldown ? "enabled-with-cooldown" : "enabled-without-cooldown" };
        }
    }

    /// <summary>Makes DescribeImages not show the image yet (a read that lags behind EC2's own state).</summary>
    public void HideFromReads(string imageId)
    {
        lock (gate)
        {
            notYetVisible.Add(imageId);
        }
    }

    public IReadOnlyList<FakeImage> RecycleBin()
    {
        lock (gate)
        {
            return [.. recycleBin.Values.OrderBy(i => i.ImageId, StringComparer.Ordinal)];
        }
    }

    /// <summary>DescribeImages(ImageIds=[id]): deregistered images read as gone, unknown or lagging ones as not found.</summary>
    internal ImageLookup FindImage(string region, string imageId) =>
        Call(region, Ec2Call.DescribeImages, imageId, () =>
        {
            if (images.TryGetValue(imageId, out var image) && image.Region == region && !notYetVisible.Contains(imageId))
            {
                return new ImageLookup(new Ec2Image(image.ImageId, region, image.Name, image.State, image.OwnerId, image.CreationDate, Copy(image.Tags), [.. image.SnapshotIds], image.DeregistrationProtection, DeprecationTimeOf(image.ImageId)), false);
            }

            return deregisteredImageIds.Contains(imageId) || recycleBin.ContainsKey(imageId) ? ImageLookup.GoneForGood : ImageLookup.NotVisible;
        });

    /// <summary>
    /// [API_DescribeImages] filter block-device-mapping.snapshot-id over the account's images, and
    /// [API_ListImagesInRecycleBin] (names and times, no snapshot ids).
    /// </summary>
    internal SnapshotHolders FindSnapshotHolders(string region, IReadOnlyList<string> snapshotIds)
    {
        var registered = Call(region, Ec2Call.DescribeImages, $"block-device-mapping.snapshot-id={string.Join(',', snapshotIds)}", () =>
            (IReadOnlyDictionary<string, IReadOnlyList<string>>)snapshotIds.Distinct(StringComparer.Ordinal).ToDictionary(
                id => id,
                id => (IReadOnlyList<string>)[.. images.Values.Where(i => i.Region == region && i.OwnerId == AccountId && i.SnapshotIds.Contains(id, StringComparer.Ordinal)).Select(i => i.ImageId).Order(StringComparer.Ordinal)],
                StringComparer.Ordinal));
        var bin = Call(region, Ec2Call.ListImagesInRecycleBin, "all", () =>
            (IReadOnlyList<BinnedImage>)[.. recycleBin.Values.Where(i => i.Region == region).OrderBy(i => i.ImageId, StringComparer.Ordinal)
                .Select(i => new BinnedImage(i.ImageId, i.Name, clock.GetUtcNow() + RecycleBinRetention))]);
        return new SnapshotHolders(registered, bin);
    }

    /// <summary>[API_CreateTags] on existing images and snapshots; an unknown id fails the whole call.</summary>
    internal bool CreateTags(string region, IReadOnlyList<string> resourceIds, IReadOnlyDictionary<string, string> tags) =>
        Call(region, Ec2Call.CreateTags, string.Join(',', resourceIds), () =>
        {
            if (resourceIds.FirstOrDefault(id => !(images.TryGetValue(id, out var i) && i.Region == region) && !(snapshots.TryGetValue(id, out var s) && s.Region == region)) is { } unknown)
            {
                throw Error(unknown.StartsWith("ami-", StringComparison.Ordinal) ? "InvalidAMIID.NotFound" : "InvalidSnapshot.NotFound", $"The ID '{unknown}' does not exist");
            }

            foreach (var id in resourceIds)
            {
                if (images.TryGetValue(id, out var image))
                {
                    images[id] = image with { Tags = Merge(image.Tags, tags) };
                }
                else
                {
                    snapshots[id] = snapshots[id] with { Tags = Merge(snapshots[id].Tags, tags) };
                }
            }

            return true;
        });

    // Callers hold the lock.
    private void RequireNotProtected(FakeImage image)
    {
        if (image.DeregistrationProtection is { } protection && protection != "disabled")
        {
            throw Error(ProtectedErrorCode, $"The image {image.ImageId} has deregistration protection enabled; disable it before deregistering the image.");
        }
    }

    // Callers hold the lock. [recycle-bin] A deregistered AMI that matches a retention rule goes to the Recycle Bin.
    private void ToRecycleBin(FakeImage image)
    {
        if (RecycleBinRetention is not null)
        {
            recycleBin[image.ImageId] = image;
        }
    }

    private static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string> tags, IReadOnlyDictionary<string, string> added)
    {
        var merged = new Dictionary<string, string>(tags, StringComparer.Ordinal);
        foreach (var (key, value) in added)
        {
            merged[key] = value;
        }

        return merged;
    }
}
