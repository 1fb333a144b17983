using System.Globalization;
using Amazon.EC2;
using Amazon.EC2.Model;
using AmiRotator.Inventory;
using AmiRotator.Planning;

namespace AmiRotator.Ec2;

/// <summary>The AWS SDK implementation of <see cref="IEc2Region"/>. Listings are paginated; nothing is looked up per instance.</summary>
internal sealed partial class Ec2Region(IAmazonEC2 client, string region, Ec2Calls calls) : IEc2Region
{
    private const int FilterValuesPerCall = 200;
    internal const int ReferenceIdsPerCall = 10;
    private const string LaunchTemplateVersionDepth = "10000";

    private static readonly string[] ListedInstanceStates = ["pending", "running", "stopping", "stopped"];

    public string Region { get; } = region;

    public async Task<IReadOnlyList<Ec2Instance>> ListInstancesAsync(string tagKey, string tagValue, IReadOnlyList<string>? instanceIds, CancellationToken ct)
    {
        var result = new List<Ec2Instance>();
        var requests = instanceIds is null
            ? [new DescribeInstancesRequest { Filters = [new Filter($"tag:{tagKey}", [tagValue]), new Filter("instance-state-name", [.. ListedInstanceStates])] }]
            : instanceIds.Chunk(FilterValuesPerCall).Select(ids => new DescribeInstancesRequest { Filters = [new Filter("instance-id", [.. ids])] });

        foreach (var request in requests)
        {
            request.MaxResults = 1000;
            await foreach (var reservation in DescribeInstancesPages(request, ct).ConfigureAwait(false))
            {
                foreach (var instance in reservation.Instances ?? [])
                {
                    result.Add(new Ec2Instance(instance.InstanceId, instance.State?.Name?.Value ?? "unknown", TagMap(instance.Tags)));
                }
            }
        }

        return result;
    }

    public async Task<IReadOnlyList<Ec2Image>> ListOwnedImagesAsync(IReadOnlyList<string>? imageIds, CancellationToken ct)
    {
        // Disabled images still hold their snapshots; without IncludeDisabled their snapshots would look orphaned.
        var request = new DescribeImagesRequest { Owners = ["self"], IncludeDeprecated = true, IncludeDisabled = true };
        if (imageIds is not null)
        {
            request.ImageIds = [.. imageIds];
        }
        else
        {
            request.MaxResults = 1000;
        }

        var result = new List<Ec2Image>();
        try
        {
            await foreach (var image in DescribeImagesPages(request, ct).ConfigureAwait(false))
            {
                result.Add(ToImage(image));
            }
        }
        catch (AmazonEC2Exception e) when (imageIds is not null && e.ErrorCode is "InvalidAMIID.NotFound" or "InvalidAMIID.Unavailable")
        {
            // An image that is gone (or not ours) is simply not in the inventory.
        }

        return result;
    }

    public async Task<IReadOnlyList<Ec2Image>> FindImagesAsync(ImageQuery query, CancellationToken ct)
    {
        var chunked = query.ChunkedFilter();
        if (chunked is { Values.Count: 0 })
        {
            return [];
        }

        var fixedFilters = query.FixedFilters().ToList();
        var chunks = chunked is { } c ? c.Values.Distinct(StringComparer.Ordinal).Chunk(FilterValuesPerCall).ToArray() : [[]];
        var result = new Dictionary<string, Ec2Image>(StringComparer.Ordinal);
        foreach (var chunk in chunks)
        {
            var filters = fixedFilters.Select(f => new Filter(f.Name, [.. f.Values])).ToList();
            if (chunked is { } named)
            {
                filters.Add(new Filter(named.Name, [.. chunk]));
            }

            var request = new DescribeImagesRequest { Owners = ["self"], IncludeDeprecated = true, IncludeDisabled = true, MaxResults = 1000, Filters = filters };
            await foreach (var image in DescribeImagesPages(request, ct).ConfigureAwait(false))
            {
                result.TryAdd(image.ImageId, ToImage(image));
            }
        }

        return [.. result.Values];
    }

    public async Task<ImageLookup> FindImageAsync(string imageId, CancellationToken ct)
    {
        try
        {
            var response = await calls.SendAsync("DescribeImages", c => client.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [imageId], IncludeDeprecated = true, IncludeDisabled = true }, c), ct).ConfigureAwait(false);
            var image = (response.Images ?? []).FirstOrDefault(i => i.ImageId == imageId);
            // A deregistered AMI is remembered for a while: listed as deregistered, or not listed at all.
            return image is null || image.State == ImageState.Deregistered ? ImageLookup.GoneForGood : new ImageLookup(ToImage(image), false);
        }
        catch (AmazonEC2Exception e) when (e.ErrorCode == "InvalidAMIID.Unavailable")
        {
            // [errors-overview] "The specified AMI has been deregistered and is no longer available".
            return ImageLookup.GoneForGood;
        }
        catch (AmazonEC2Exception e) when (e.ErrorCode == "InvalidAMIID.NotFound")
        {
            // Not found yet is not gone: a just-created image may take a while to show.
            return ImageLookup.NotVisible;
        }
    }

    public async Task<SnapshotHolders> FindSnapshotHoldersAsync(IReadOnlyList<string> snapshotIds, CancellationToken ct)
    {
        var registered = snapshotIds.Distinct(StringComparer.Ordinal).ToDictionary(id => id, _ => new List<string>(), StringComparer.Ordinal);
        foreach (var chunk in registered.Keys.ToArray().Chunk(FilterValuesPerCall))
        {
            var request = new DescribeImagesRequest
            {
                Owners = ["self"],
                IncludeDeprecated = true,
                IncludeDisabled = true,
                Filters = [new Filter("block-device-mapping.snapshot-id", [.. chunk])],
            };
            await foreach (var image in DescribeImagesPages(request, ct).ConfigureAwait(false))
            {
                foreach (var snapshotId in (image.BlockDeviceMappings ?? []).Select(b => b.Ebs?.SnapshotId).OfType<string>())
                {
                    if (registered.TryGetValue(snapshotId, out var users) && image.State != ImageState.Deregistered)
                    {
                        users.Add(image.ImageId);
                    }
                }
            }
        }

        var bin = new List<BinnedImage>();
        await foreach (var binned in ListImagesInRecycleBinPages(new ListImagesInRecycleBinRequest { MaxResults = 1000 }, ct).ConfigureAwait(false))
        {
            bin.Add(new BinnedImage(binned.ImageId, binned.Name ?? "", binned.RecycleBinExitTime is { } exit ? new DateTimeOffset(DateTime.SpecifyKind(exit, DateTimeKind.Utc)) : null));
        }

        return new SnapshotHolders(registered.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.Ordinal), bin);
    }

    public async Task<IReadOnlyList<Ec2Snapshot>> ListManagedSnapshotsAsync(string accountId, CancellationToken ct)
    {
        // OwnerIds=self alone would do on AWS; the owner-id filter says the same thing explicitly and is honoured by
        // every EC2 implementation we test against.
        var request = new DescribeSnapshotsRequest
        {
            OwnerIds = ["self"],
            Filters = [new Filter($"tag:{ManagedTags.Managed}", [ManagedTags.ManagedValue]), new Filter("owner-id", [accountId])],
            MaxResults = 1000,
        };
        var result = new List<Ec2Snapshot>();
        await foreach (var snapshot in DescribeSnapshotsPages(request, ct).ConfigureAwait(false))
        {
            result.Add(new Ec2Snapshot(snapshot.SnapshotId, Region, snapshot.State?.Value ?? "unknown", snapshot.StartTime is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : DateTimeOffset.MinValue, TagMap(snapshot.Tags)));
        }

        return result;
    }

    public async Task<IReadOnlyDictionary<string, SnapshotLock>> ListSnapshotLocksAsync(CancellationToken ct)
    {
        // Expired locks stop nothing [API_LockedSnapshotsInfo]: only the active states are asked for.
        var request = new DescribeLockedSnapshotsRequest
        {
            Filters = [new Filter("lock-state", ["compliance-cooloff", "governance", "compliance"])],
            MaxResults = 1000,
        };
        var result = new Dictionary<string, SnapshotLock>(StringComparer.Ordinal);
        await foreach (var info in DescribeLockedSnapshotsPages(request, ct).ConfigureAwait(false))
        {
            if (info.SnapshotId is { } id)
            {
                result[id] = new SnapshotLock(id, info.LockState?.Value ?? "unknown", info.LockExpiresOn is { } e ? new DateTimeOffset(DateTime.SpecifyKind(e, DateTimeKind.Utc)) : null);
            }
        }

        return result;
    }

    private Ec2Image ToImage(Image image) => new(
        image.ImageId,
        Region,
        image.Name ?? "",
        image.State?.Value ?? "unknown",
        image.OwnerId ?? "",
        ParseCreationDate(image.CreationDate),
        TagMap(image.Tags),
        [.. (image.BlockDeviceMappings ?? []).Select(b => b.Ebs?.SnapshotId).OfType<string>().Where(s => s.Length > 0)],
        image.DeregistrationProtection,
        image.DeprecationTime is { Length: > 0 } deprecation ? ParseCreationDate(deprecation) : null);

    private static DateTimeOffset ParseCreationDate(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : DateTimeOffset.MinValue;

    private static Dictionary<string, string> TagMap(List<Tag>? tags)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tag in tags ?? [])
        {
            if (tag.Key is { } key)
            {
                map[key] = tag.Value ?? "";
            }
        }

        return map;
    }
}
