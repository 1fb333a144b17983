using Amazon.EC2;
using Amazon.EC2.Model;
using AmiRotator.Inventory;
using AmiRotator.Planning;

namespace AmiRotator.Ec2;

/// <summary>The calls that change EC2, each built once so that a dry run sends exactly the request the mutation sends.</summary>
internal sealed partial class Ec2Region
{
    public async Task AdoptAsync(IReadOnlyList<string> resourceIds, IReadOnlyDictionary<string, string> tags, CancellationToken ct) =>
        await calls.SendAsync("CreateTags", c => client.CreateTagsAsync(new CreateTagsRequest { Resources = [.. resourceIds], Tags = [.. tags.Select(kv => new Tag(kv.Key, kv.Value))] }, c), ct).ConfigureAwait(false);

    public async Task<string> CreateImageAsync(BackupAction backup, CancellationToken ct)
    {
        try
        {
            var response = await calls.SendAsync("CreateImage", c => client.CreateImageAsync(CreateImageRequestFor(backup), c), ct).ConfigureAwait(false);
            return response.ImageId;
        }
        catch (AmazonEC2Exception e) when (e.ErrorCode == "InvalidAMIName.Duplicate")
        {
            // A CreateImage whose answer was lost is retried, and the retry finds the name taken by the image the
            // first attempt made. CreateImage has no ClientToken [ec2-api-idempotency], so the name is the only link.
            throw new DuplicateImageNameException(backup.Name, await FindByNameAsync(backup.Name, ct).ConfigureAwait(false));
        }
    }

    private async Task<Ec2Image?> FindByNameAsync(string name, CancellationToken ct)
    {
        var request = new DescribeImagesRequest { Owners = ["self"], IncludeDeprecated = true, IncludeDisabled = true, Filters = [new Filter("name", [name])] };
        await foreach (var image in DescribeImagesPages(request, ct).ConfigureAwait(false))
        {
            if (image.Name == name && image.State != ImageState.Deregistered)
            {
                return ToImage(image);
            }
        }

        return null;
    }

    public async Task<string> CopyImageAsync(CopyAction copy, CancellationToken ct)
    {
        try
        {
            var response = await calls.SendAsync("CopyImage", c => client.CopyImageAsync(CopyImageRequestFor(copy), c), ct).ConfigureAwait(false);
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
            var response = await calls.SendAsync("DeregisterImage", c => client.DeregisterImageAsync(DeregisterImageRequestFor(imageId), c), ct).ConfigureAwait(false);
            return [.. (response.DeleteSnapshotResults ?? []).Select(r => new SnapshotOutcome(r.SnapshotId, r.ReturnCode?.Value ?? "unknown"))];
        }
        catch (AmazonEC2Exception e) when (e.ErrorCode is "InvalidAMIID.NotFound" or "InvalidAMIID.Unavailable")
        {
            // An overlapping pass retired it first: the outcome we wanted. Its snapshots are checked by the caller.
            return [];
        }
        catch (AmazonEC2Exception e) when (e.ErrorCode == Ec2Errors.DeregistrationProtected || e.Message.Contains("deregistration protection", StringComparison.OrdinalIgnoreCase))
        {
            throw new DeregistrationProtectedException(imageId, e.Message);
        }
    }

    public async Task DeleteSnapshotAsync(string snapshotId, CancellationToken ct)
    {
        try
        {
            await calls.SendAsync("DeleteSnapshot", c => client.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshotId }, c), ct).ConfigureAwait(false);
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

    public async Task LockSnapshotAsync(LockAction action, CancellationToken ct) =>
        await calls.SendAsync("LockSnapshot", c => client.LockSnapshotAsync(new LockSnapshotRequest
        {
            SnapshotId = action.SnapshotId,
            LockMode = new LockMode(action.Mode),
            // An expiration date rather than a duration: the lock ends when DR retention could first retire the copy,
            // counted from when the backup was taken, whenever the lock is set [API_LockSnapshot ExpirationDate].
            ExpirationDate = action.ExpiresAt.UtcDateTime,
        }, c), ct).ConfigureAwait(false);

    public async Task DeprecateImageAsync(DeprecateAction action, CancellationToken ct) =>
        await calls.SendAsync("EnableImageDeprecation", c => client.EnableImageDeprecationAsync(new EnableImageDeprecationRequest
        {
            ImageId = action.ImageId,
            DeprecateAt = action.DeprecateAt.UtcDateTime,
        }, c), ct).ConfigureAwait(false);

    public async Task<DryRunVerdict> DryRunAsync(DryRunRequest request, CancellationToken ct)
    {
        try
        {
            // Each case sends the request the mutation itself builds, only with DryRun set.
            switch (request)
            {
                case DryRunCreateImage create:
                    await calls.SendAsync("CreateImage", c => client.CreateImageAsync(CreateImageRequestFor(create.Backup, dryRun: true), c), ct).ConfigureAwait(false);
                    break;
                case DryRunCopyImage copy:
                    await calls.SendAsync("CopyImage", c => client.CopyImageAsync(CopyImageRequestFor(copy.Copy, dryRun: true), c), ct).ConfigureAwait(false);
                    break;
                case DryRunDeregisterImage deregister:
                    await calls.SendAsync("DeregisterImage", c => client.DeregisterImageAsync(DeregisterImageRequestFor(deregister.ImageId, dryRun: true), c), ct).ConfigureAwait(false);
                    break;
                case DryRunDeleteSnapshot delete:
                    await calls.SendAsync("DeleteSnapshot", c => client.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = delete.SnapshotId, DryRun = true }, c), ct).ConfigureAwait(false);
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
}
