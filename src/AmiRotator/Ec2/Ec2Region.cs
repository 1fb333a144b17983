using System.Globalization;
using Amazon.EC2;
using Amazon.EC2.Model;
using AmiRotator.Inventory;
using AmiRotator.Planning;

namespace AmiRotator.Ec2;

/// <summary>The AWS SDK implementation of <see cref="IEc2Region"/>. Listings are paginated; nothing is looked up per instance.</summary>
internal sealed class Ec2Region(IAmazonEC2 client, string region) : IEc2Region
{
    private const int FilterValuesPerCall = 200;
    private const int ReferenceIdsPerCall = 10;

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
            await foreach (var reservation in client.Paginators.DescribeInstances(request).Reservations.WithCancellation(ct).ConfigureAwait(false))
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
            await foreach (var image in client.Paginators.DescribeImages(request).Images.WithCancellation(ct).ConfigureAwait(false))
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
        await foreach (var snapshot in client.Paginators.DescribeSnapshots(request).Snapshots.WithCancellation(ct).ConfigureAwait(false))
        {
            result.Add(new Ec2Snapshot(snapshot.SnapshotId, Region, snapshot.State?.Value ?? "unknown", snapshot.StartTime is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : DateTimeOffset.MinValue, TagMap(snapshot.Tags)));
        }

        return result;
    }

    public async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> FindReferencesAsync(IReadOnlyList<string> imageIds, CancellationToken ct)
    {
        var result = imageIds.Distinct(StringComparer.Ordinal).ToDictionary(id => id, _ => new List<string>(), StringComparer.Ordinal);
        try
        {
            await DescribeImageReferencesAsync(result, ct).ConfigureAwait(false);
        }
        catch (AmazonEC2Exception e) when (e.ErrorCode is "InvalidAction" or "UnsupportedOperation")
        {
            // Where the endpoint lacks DescribeImageReferences, check the two users that matter most ourselves.
            foreach (var list in result.Values)
            {
                list.Clear();
            }

            await FindInstanceAndLaunchTemplateUsersAsync(result, ct).ConfigureAwait(false);
        }

        return result.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)[.. kv.Value.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)], StringComparer.Ordinal);
    }

    private async Task FindInstanceAndLaunchTemplateUsersAsync(Dictionary<string, List<string>> result, CancellationToken ct)
    {
        foreach (var chunk in result.Keys.ToArray().Chunk(FilterValuesPerCall))
        {
            var instances = new DescribeInstancesRequest
            {
                Filters = [new Filter("image-id", [.. chunk]), new Filter("instance-state-name", ["pending", "running", "shutting-down", "stopping", "stopped"])],
                MaxResults = 1000,
            };
            await foreach (var reservation in client.Paginators.DescribeInstances(instances).Reservations.WithCancellation(ct).ConfigureAwait(false))
            {
                foreach (var instance in reservation.Instances ?? [])
                {
                    if (instance.ImageId is { } id && result.TryGetValue(id, out var list))
                    {
                        list.Add($"instance/{instance.InstanceId}");
                    }
                }
            }
        }

        await foreach (var template in client.Paginators.DescribeLaunchTemplates(new DescribeLaunchTemplatesRequest { MaxResults = 200 }).LaunchTemplates.WithCancellation(ct).ConfigureAwait(false))
        {
            var versions = new DescribeLaunchTemplateVersionsRequest
            {
                LaunchTemplateId = template.LaunchTemplateId,
                Filters = [new Filter("image-id", [.. result.Keys])],
                MaxResults = 200,
            };
            await foreach (var version in client.Paginators.DescribeLaunchTemplateVersions(versions).LaunchTemplateVersions.WithCancellation(ct).ConfigureAwait(false))
            {
                // Filtered again here: the filter is an optimisation, the check must not depend on it.
                if (version.LaunchTemplateData?.ImageId is { } id && result.TryGetValue(id, out var list))
                {
                    list.Add($"launch-template/{template.LaunchTemplateId}/{version.VersionNumber}");
                }
            }
        }
    }

    private async Task DescribeImageReferencesAsync(Dictionary<string, List<string>> result, CancellationToken ct)
    {
        foreach (var chunk in result.Keys.ToArray().Chunk(ReferenceIdsPerCall))
        {
            var request = new DescribeImageReferencesRequest { ImageIds = [.. chunk], IncludeAllResourceTypes = true };
            await foreach (var reference in client.Paginators.DescribeImageReferences(request).ImageReferences.WithCancellation(ct).ConfigureAwait(false))
            {
                if (reference.ImageId is { } id && result.TryGetValue(id, out var list) && reference.Arn is { } arn)
                {
                    list.Add(arn);
                }
            }
        }
    }

    public async Task<string> CreateImageAsync(BackupAction backup, CancellationToken ct)
    {
        try
        {
            var response = await client.CreateImageAsync(CreateImageRequestFor(backup), ct).ConfigureAwait(false);
            return response.ImageId;
        }
        catch (AmazonEC2Exception e) when (e.ErrorCode == "InvalidAMIName.Duplicate")
        {
            throw new DuplicateImageNameException(backup.Name);
        }
    }

    public async Task<string> CopyImageAsync(CopyAction copy, CancellationToken ct)
    {
        try
        {
            var response = await client.CopyImageAsync(CopyImageRequestFor(copy), ct).ConfigureAwait(false);
            return response.ImageId;
        }
        catch (AmazonEC2Exception e) when (e.ErrorCode == "InvalidAMIName.Duplicate")
        {
            throw new DuplicateImageNameException(copy.Name);
        }
    }

    public async Task<IReadOnlyList<SnapshotOutcome>> DeregisterImageAsync(string imageId, CancellationToken ct)
    {
        try
        {
            var response = await client.DeregisterImageAsync(DeregisterImageRequestFor(imageId), ct).ConfigureAwait(false);
            return [.. (response.DeleteSnapshotResults ?? []).Select(r => new SnapshotOutcome(r.SnapshotId, r.ReturnCode?.Value ?? "unknown"))];
        }
        catch (AmazonEC2Exception e) when (e.ErrorCode is "InvalidAMIID.NotFound" or "InvalidAMIID.Unavailable")
        {
            // An overlapping pass retired it first: the outcome we wanted. Its snapshots are checked by the caller.
            return [];
        }
    }

    public async Task DeleteSnapshotAsync(string snapshotId, CancellationToken ct)
    {
        try
        {
            await client.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshotId }, ct).ConfigureAwait(false);
        }
        catch (AmazonEC2Exception e) when (e.ErrorCode == "InvalidSnapshot.NotFound")
        {
            // Already gone: the outcome we wanted.
        }
        catch (AmazonEC2Exception e) when (e.ErrorCode == "InvalidSnapshot.InUse")
        {
            throw new SnapshotInUseException(snapshotId);
        }
    }

    public async Task<DryRunVerdict> DryRunAsync(DryRunRequest request, CancellationToken ct)
    {
        try
        {
            // Each case sends the request the mutation itself builds, only with DryRun set.
            switch (request)
            {
                case DryRunCreateImage c:
                    await client.CreateImageAsync(CreateImageRequestFor(c.Backup, dryRun: true), ct).ConfigureAwait(false);
                    break;
                case DryRunCopyImage c:
                    await client.CopyImageAsync(CopyImageRequestFor(c.Copy, dryRun: true), ct).ConfigureAwait(false);
                    break;
                case DryRunDeregisterImage d:
                    await client.DeregisterImageAsync(DeregisterImageRequestFor(d.ImageId, dryRun: true), ct).ConfigureAwait(false);
                    break;
                case DryRunDeleteSnapshot d:
                    await client.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = d.SnapshotId, DryRun = true }, ct).ConfigureAwait(false);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(request), request, "not a dry-run request");
            }
        }
        catch (AmazonEC2Exception e) when (e.ErrorCode == Ec2Errors.DryRunOperation)
        {
            return DryRunVerdict.Allow;
        }
        catch (AmazonEC2Exception e) when (e.ErrorCode == Ec2Errors.Unauthorized)
        {
            return new DryRunVerdict(false, e.Message);
        }

        // EC2 never performs a dry run; an answer without DryRunOperation means the endpoint ignored the flag.
        throw new InvalidOperationException($"{request.Action} with DryRun=true was answered as if it ran: the endpoint does not honour DryRun, so nothing can be concluded.");
    }

    private static CreateImageRequest CreateImageRequestFor(BackupAction backup, bool dryRun = false) => new()
    {
        DryRun = dryRun,
        InstanceId = backup.InstanceId,
        Name = backup.Name,
        Description = backup.Description,
        NoReboot = backup.NoReboot,
        TagSpecifications = ImageAndSnapshotTags(backup.Tags),
    };

    private static CopyImageRequest CopyImageRequestFor(CopyAction copy, bool dryRun = false)
    {
        var request = new CopyImageRequest
        {
            DryRun = dryRun,
            SourceImageId = copy.SourceImageId,
            SourceRegion = copy.SourceRegion,
            Name = copy.Name,
            Description = copy.Description,
            ClientToken = copy.ClientToken,
            TagSpecifications = ImageAndSnapshotTags(copy.Tags),
        };
        if (copy.KmsKeyId is { } key)
        {
            request.Encrypted = true;
            request.KmsKeyId = key;
        }

        return request;
    }

    private static DeregisterImageRequest DeregisterImageRequestFor(string imageId, bool dryRun = false) =>
        new() { ImageId = imageId, DeleteAssociatedSnapshots = true, DryRun = dryRun };

    /// <summary>
    /// Image and snapshots are tagged in the creating call itself: no untagged window, and the IAM policy can
    /// require the managed tag on creation.
    /// </summary>
    private static List<TagSpecification> ImageAndSnapshotTags(IReadOnlyDictionary<string, string> tags)
    {
        var list = tags.Select(kv => new Tag(kv.Key, kv.Value)).ToList();
        return
        [
            new TagSpecification { ResourceType = ResourceType.Image, Tags = list },
            new TagSpecification { ResourceType = ResourceType.Snapshot, Tags = list },
        ];
    }

    private Ec2Image ToImage(Image image) => new(
        image.ImageId,
        Region,
        image.Name ?? "",
        image.State?.Value ?? "unknown",
        image.OwnerId ?? "",
        ParseCreationDate(image.CreationDate),
        TagMap(image.Tags),
        [.. (image.BlockDeviceMappings ?? []).Select(b => b.Ebs?.SnapshotId).OfType<string>().Where(s => s.Length > 0)]);

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
