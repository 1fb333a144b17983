using Amazon.EC2;
using AmiRotator.Ec2;
using AmiRotator.Inventory;
using AmiRotator.Planning;

namespace AmiRotator.Tests.Fakes;

/// <summary>
/// The <see cref="IEc2Region"/> seam over one Region of a <see cref="FakeEc2"/>. It sends the same API calls the
/// production <c>Ec2Region</c> sends and translates their errors the same way (InvalidAMIName.Duplicate →
/// <see cref="DuplicateImageNameException"/>, InvalidSnapshot.InUse → <see cref="SnapshotInUseException"/>,
/// InvalidSnapshot.NotFound → done), so the executor meets EC2's behaviour and not a simplification of it.
/// </summary>
internal sealed class FakeEc2Region(FakeEc2 ec2, string region) : IEc2Region
{
    /// <summary>DescribeImageReferences' ImageId.N maximum [API_DescribeImageReferences].</summary>
    public const int ReferenceIdsPerCall = 10;

    public string Region { get; } = region;

    public async Task<IReadOnlyList<Ec2Instance>> ListInstancesAsync(string tagKey, string tagValue, IReadOnlyList<string>? instanceIds, CancellationToken ct)
    {
        return await Send(
            Ec2Call.DescribeInstances,
            instanceIds is null ? $"tag:{tagKey}={tagValue}" : string.Join(',', instanceIds),
            () => ec2.DescribeInstances(Region, tagKey, tagValue, instanceIds),
            ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<Ec2Image>> ListOwnedImagesAsync(IReadOnlyList<string>? imageIds, CancellationToken ct)
    {
        try
        {
            return await Send(Ec2Call.DescribeImages, imageIds is null ? "owner=self" : string.Join(',', imageIds), () => ec2.DescribeImages(Region, imageIds), ct).ConfigureAwait(false);
        }
        catch (AmazonEC2Exception e) when (imageIds is not null && e.ErrorCode is "InvalidAMIID.NotFound" or "InvalidAMIID.Unavailable")
        {
            return [];
        }
    }

    /// <summary>Like Ec2Region: the image ids or instance ids are sent 200 per call, the other criteria with each.</summary>
    public async Task<IReadOnlyList<Ec2Image>> FindImagesAsync(ImageQuery query, CancellationToken ct)
    {
        var chunked = query.ChunkedFilter();
        if (chunked is { Values.Count: 0 })
        {
            return [];
        }

        var parts = chunked is null
            ? [query]
            : chunked.Value.Values.Distinct(StringComparer.Ordinal).Chunk(200)
                .Select(chunk => query.ImageIds is not null ? query with { ImageIds = chunk } : query with { InstanceIds = chunk }).ToArray();
        var result = new Dictionary<string, Ec2Image>(StringComparer.Ordinal);
        foreach (var part in parts)
        {
            foreach (var image in await Send(Ec2Call.DescribeImages, part.ToString(), () => ec2.DescribeImagesMatching(Region, part), ct).ConfigureAwait(false))
            {
                result.TryAdd(image.ImageId, image);
            }
        }

        return [.. result.Values];
    }

    public async Task<IReadOnlyList<Ec2Snapshot>> ListManagedSnapshotsAsync(string accountId, CancellationToken ct)
    {
        return await Send(Ec2Call.DescribeSnapshots, $"owner-id={accountId}", () => ec2.DescribeSnapshots(Region, accountId), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The seam takes any number of ids and, like <c>Ec2Region</c>, asks DescribeImageReferences ten at a time;
    /// the fake's API action refuses more than ten per call, so a wrong chunking shows up as an error.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> FindReferencesAsync(IReadOnlyList<string> imageIds, CancellationToken ct)
    {
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var chunk in imageIds.Distinct(StringComparer.Ordinal).Chunk(ReferenceIdsPerCall))
        {
            var found = await Send(Ec2Call.DescribeImageReferences, string.Join(',', chunk), () => ec2.DescribeImageReferences(Region, chunk), ct).ConfigureAwait(false);
            foreach (var (id, arns) in found)
            {
                result[id] = [.. arns.Order(StringComparer.Ordinal)];
            }
        }

        return result;
    }

    public async Task<string> CreateImageAsync(BackupAction backup, CancellationToken ct)
    {
        try
        {
            // Ec2Region sends the action's tags as TagSpecifications for both the image and its snapshots.
            return await Send(
                Ec2Call.CreateImage,
                backup.InstanceId,
                () => ec2.CreateImage(Region, backup.InstanceId, backup.Name, backup.Description, backup.NoReboot, backup.Tags, backup.Tags),
                ct).ConfigureAwait(false);
        }
        catch (AmazonEC2Exception e) when (e.ErrorCode == "InvalidAMIName.Duplicate")
        {
            // Like Ec2Region: look the name up (a DescribeImages call) to find the image holding it.
            var holder = (await ListOwnedImagesAsync(null, ct).ConfigureAwait(false)).FirstOrDefault(i => i.Name == backup.Name && i.HoldsSnapshots);
            throw new DuplicateImageNameException(backup.Name, holder);
        }
    }

    public async Task<string> CopyImageAsync(CopyAction copy, CancellationToken ct)
    {
        if (copy.DestinationRegion != Region)
        {
            // CopyImage has no destination parameter: the Region the call is sent to is the destination.
            throw new InvalidOperationException($"a copy to {copy.DestinationRegion} was sent to {Region}");
        }

        try
        {
            return await Send(
                Ec2Call.CopyImage,
                copy.SourceImageId,
                () => ec2.CopyImage(
                    Region, copy.SourceImageId, copy.SourceRegion, copy.Name, copy.Description, copy.ClientToken,
                    encrypted: copy.KmsKeyId is not null, copy.KmsKeyId, copy.Tags, copy.Tags),
                ct).ConfigureAwait(false);
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
            var results = await Send(Ec2Call.DeregisterImage, imageId, () => ec2.DeregisterImage(Region, imageId), ct).ConfigureAwait(false);
            return [.. results.Select(r => new SnapshotOutcome(r.SnapshotId, r.ReturnCode))];
        }
        catch (AmazonEC2Exception e) when (e.ErrorCode == Ec2Errors.DeregistrationProtected)
        {
            throw new DeregistrationProtectedException(imageId, e.Message);
        }
        catch (AmazonEC2Exception e) when (e.ErrorCode is "InvalidAMIID.NotFound" or "InvalidAMIID.Unavailable")
        {
            // As Ec2Region: an overlapping pass retired it first.
            return [];
        }
    }

    public async Task DeleteSnapshotAsync(string snapshotId, CancellationToken ct)
    {
        try
        {
            await Send(Ec2Call.DeleteSnapshot, snapshotId, () => ec2.DeleteSnapshot(Region, snapshotId), ct).ConfigureAwait(false);
        }
        catch (AmazonEC2Exception e) when (e.ErrorCode == "InvalidSnapshot.NotFound")
        {
            // Already gone: the outcome the caller wanted.
        }
        catch (AmazonEC2Exception e) when (e.ErrorCode == "InvalidSnapshot.InUse")
        {
            throw new SnapshotInUseException(snapshotId);
        }
    }

    public async Task<IReadOnlyDictionary<string, SnapshotLock>> ListSnapshotLocksAsync(CancellationToken ct) =>
        await Send(FakeEc2.DescribeLockedSnapshots, "lock-state", () => ec2.LockedSnapshots(Region), ct).ConfigureAwait(false);

    public async Task LockSnapshotAsync(LockAction action, CancellationToken ct) =>
        await Send(FakeEc2.LockSnapshot, action.SnapshotId, () => ec2.Lock(Region, action.SnapshotId, action.Mode, action.ExpiresAt), ct).ConfigureAwait(false);

    public async Task DeprecateImageAsync(DeprecateAction action, CancellationToken ct) =>
        await Send(FakeEc2.EnableImageDeprecation, action.ImageId, () => ec2.Deprecate(Region, action.ImageId, action.DeprecateAt), ct).ConfigureAwait(false);

    public async Task<ImageLookup> FindImageAsync(string imageId, CancellationToken ct) =>
        await Send(Ec2Call.DescribeImages, imageId, () => ec2.FindImage(Region, imageId), ct).ConfigureAwait(false);

    public async Task<SnapshotHolders> FindSnapshotHoldersAsync(IReadOnlyList<string> snapshotIds, CancellationToken ct) =>
        await Send(Ec2Call.ListImagesInRecycleBin, string.Join(',', snapshotIds), () => ec2.FindSnapshotHolders(Region, snapshotIds), ct).ConfigureAwait(false);

    public async Task AdoptAsync(IReadOnlyList<string> resourceIds, IReadOnlyDictionary<string, string> tags, CancellationToken ct) =>
        await Send(Ec2Call.CreateTags, string.Join(',', resourceIds), () => ec2.CreateTags(Region, resourceIds, tags), ct).ConfigureAwait(false);

    public async Task<DryRunVerdict> DryRunAsync(DryRunRequest request, CancellationToken ct)
    {
        var (action, subject) = request switch
        {
            DryRunCreateImage c => (Ec2Call.CreateImage, c.Backup.InstanceId),
            DryRunCopyImage c => (Ec2Call.CopyImage, c.Copy.SourceImageId),
            DryRunDeregisterImage d => (Ec2Call.DeregisterImage, d.ImageId),
            DryRunDeleteSnapshot d => (Ec2Call.DeleteSnapshot, d.SnapshotId),
            _ => throw new ArgumentOutOfRangeException(nameof(request), request, "not a dry-run request"),
        };
        await ec2.BeforeAsync(new Ec2Call(Region, action, subject, DryRun: true), ct).ConfigureAwait(false);
        return ec2.DryRun(Region, action, subject);
    }

    /// <summary>One API call: the before-hook, the action itself (atomic in the fake), then the after-hook on success.</summary>
    private async Task<T> Send<T>(string action, string subject, Func<T> api, CancellationToken ct)
    {
        var call = new Ec2Call(Region, action, subject);
        await ec2.BeforeAsync(call, ct).ConfigureAwait(false);
        var result = api();
        await ec2.AfterAsync(call, ct).ConfigureAwait(false);
        return result;
    }
}
