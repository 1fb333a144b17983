using AmiRotator.Ec2;
using AmiRotator.Inventory;

namespace AmiRotator.Tests.Fakes;

/// <summary>
/// The API actions AmiRotator calls, called by <see cref="FakeEc2Region"/>; each runs under the lock and follows its EC2
/// API Reference page, named on the method.
/// </summary>
internal sealed partial class FakeEc2
{
    /// <summary>The states DescribeInstances returns for AmiRotator's tag listing (the production filter).</summary>
    private static readonly string[] ListedInstanceStates = ["pending", "running", "stopping", "stopped"];

    // ---- API actions (called by FakeEc2Region) ----------------------------------------------------------------

    internal async Task BeforeAsync(Ec2Call call, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();

        // Every real call is I/O: yielding lets concurrent passes interleave as they would against EC2.
        await Task.Yield();
        if (BeforeCall is { } hook)
        {
            await hook(call, ct).ConfigureAwait(false);
        }
    }

    internal async Task AfterAsync(Ec2Call call, CancellationToken ct)
    {
        if (AfterCall is { } hook)
        {
            await hook(call, ct).ConfigureAwait(false);
        }
    }

    /// <summary>[API_DescribeInstances] Filters tag:key=value and instance-state-name, or instance-id (any state, no error for unknown ids).</summary>
    internal IReadOnlyList<Ec2Instance> DescribeInstances(string region, string tagKey, string tagValue, IReadOnlyList<string>? instanceIds) =>
        Call(region, Ec2Call.DescribeInstances, instanceIds is null ? $"tag:{tagKey}={tagValue}" : string.Join(',', instanceIds), () =>
            (IReadOnlyList<Ec2Instance>)[.. instances.Values
                .Where(i => i.Region == region)
                .Where(i => instanceIds is null
                    ? i.Tags.GetValueOrDefault(tagKey) == tagValue && ListedInstanceStates.Contains(i.State, StringComparer.Ordinal)
                    : instanceIds.Contains(i.InstanceId, StringComparer.Ordinal))
                .OrderBy(i => i.InstanceId, StringComparer.Ordinal)
                .Select(i => new Ec2Instance(i.InstanceId, i.State, Copy(i.Tags)))]);

    /// <summary>
    /// [API_DescribeImages] with Owners=self: images of other accounts are never listed. With ImageIds, an id that
    /// does not exist in the Region fails the whole call with InvalidAMIID.NotFound.
    /// </summary>
    internal IReadOnlyList<Ec2Image> DescribeImages(string region, IReadOnlyList<string>? imageIds) =>
        Call(region, Ec2Call.DescribeImages, imageIds is null ? "owner=self" : string.Join(',', imageIds), () =>
        {
            if (imageIds?.FirstOrDefault(id => !images.TryGetValue(id, out var image) || image.Region != region || notYetVisible.Contains(id)) is { } missing)
            {
                throw Error("InvalidAMIID.NotFound", $"The image id '[{missing}]' does not exist");
            }

            return (IReadOnlyList<Ec2Image>)[.. images.Values
                .Where(i => i.Region == region && i.OwnerId == AccountId && !notYetVisible.Contains(i.ImageId) && (imageIds is null || imageIds.Contains(i.ImageId, StringComparer.Ordinal)))
                .OrderBy(i => i.ImageId, StringComparer.Ordinal)
                .Select(i => new Ec2Image(i.ImageId, region, i.Name, i.State, i.OwnerId, i.CreationDate, Copy(i.Tags), [.. i.SnapshotIds], i.DeregistrationProtection, DeprecationTimeOf(i.ImageId)))];
        });

    /// <summary>
    /// [API_DescribeImages] with Owners=self and filters, ANDed (values of one filter ORed): name with * and ?
    /// wildcards, tag:key, state, image-id. EC2 allows at most 200 filter values in one call.
    /// </summary>
    internal IReadOnlyList<Ec2Image> DescribeImagesMatching(string region, ImageQuery query) =>
        Call(region, Ec2Call.DescribeImages, query.ToString(), () =>
        {
            var filters = query.FixedFilters().Concat(query.ChunkedFilter() is { } c ? [c] : []).ToList();
            if (filters.Sum(f => f.Values.Count) > 200)
            {
                throw Error("FilterLimitExceeded", $"The maximum number of filter values specified on a single call is 200 (got {filters.Sum(f => f.Values.Count)})");
            }

            return (IReadOnlyList<Ec2Image>)[.. images.Values
                .Where(i => i.Region == region && i.OwnerId == AccountId && !notYetVisible.Contains(i.ImageId))
                .Where(i => filters.All(f => f.Values.Any(v => Matches(i, f.Name, v))))
                .OrderBy(i => i.ImageId, StringComparer.Ordinal)
                .Select(i => new Ec2Image(i.ImageId, region, i.Name, i.State, i.OwnerId, i.CreationDate, Copy(i.Tags), [.. i.SnapshotIds], i.DeregistrationProtection, DeprecationTimeOf(i.ImageId)))];
        });

    private static bool Matches(FakeImage image, string filter, string value) => filter switch
    {
        "image-id" => image.ImageId == value,
        "state" => image.State == value,
        "name" => System.Text.RegularExpressions.Regex.IsMatch(image.Name, "^" + System.Text.RegularExpressions.Regex.Escape(value).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$"),
        _ when filter.StartsWith("tag:", StringComparison.Ordinal) => image.Tags.GetValueOrDefault(filter["tag:".Length..]) == value,
        _ => throw new ArgumentException($"the fake has no DescribeImages filter {filter}"),
    };

    /// <summary>[API_DescribeSnapshots] filtered on owner-id and tag:ami-rotator:managed=true.</summary>
    internal IReadOnlyList<Ec2Snapshot> DescribeSnapshots(string region, string ownerId) =>
        Call(region, Ec2Call.DescribeSnapshots, $"owner-id={ownerId},tag:{ManagedTags.Managed}={ManagedTags.ManagedValue}", () =>
            (IReadOnlyList<Ec2Snapshot>)[.. snapshots.Values
                .Where(s => s.Region == region && s.OwnerId == ownerId && s.Tags.GetValueOrDefault(ManagedTags.Managed) == ManagedTags.ManagedValue)
                .OrderBy(s => s.SnapshotId, StringComparer.Ordinal)
                .Select(s => new Ec2Snapshot(s.SnapshotId, region, s.State, s.StartTime, Copy(s.Tags)))]);

    /// <summary>
    /// [API_DescribeImageReferences] ImageId.N: minimum 1, maximum 10 items. An id that is not an image of the
    /// Region fails the call with InvalidAMIID.NotFound (the reference is silent; this is the DescribeImages answer,
    /// and the conservative one: the pass then keeps every candidate).
    /// </summary>
    internal IReadOnlyDictionary<string, IReadOnlyList<string>> DescribeImageReferences(string region, IReadOnlyList<string> imageIds) =>
        Call(region, Ec2Call.DescribeImageReferences, string.Join(',', imageIds), () =>
        {
            if (imageIds.Count is < 1 or > 10)
            {
                throw Error("InvalidParameterValue", $"ImageId.N takes 1 to 10 image ids; got {imageIds.Count}");
            }

            if (referenceFaults.TryGetValue(region, out var fault))
            {
                throw Error(fault, "DescribeImageReferences is unavailable (injected fault)");
            }

            if (imageIds.FirstOrDefault(id => !images.TryGetValue(id, out var image) || image.Region != region) is { } missing)
            {
                throw Error("InvalidAMIID.NotFound", $"The image id '[{missing}]' does not exist");
            }

            return (IReadOnlyDictionary<string, IReadOnlyList<string>>)imageIds.Distinct(StringComparer.Ordinal).ToDictionary(
                id => id,
                id => (IReadOnlyList<string>)[.. references.GetValueOrDefault((region, id)) ?? []],
                StringComparer.Ordinal);
        });

    /// <summary>
    /// [API_CreateImage] The instance must exist in the Region and be running or stopped; the name is 3–128
    /// characters of letters, digits, ()[] ./-'@_ and unique in the account and Region (InvalidAMIName.Duplicate).
    /// The image starts <see cref="NewImageState"/>, its snapshots are listed at once, and TagSpecifications tag
    /// image and snapshots in the same call.
    /// </summary>
    internal string CreateImage(string region, string instanceId, string name, string? description, bool noReboot, IReadOnlyDictionary<string, string> imageTags, IReadOnlyDictionary<string, string> snapshotTags) =>
        Call(region, Ec2Call.CreateImage, instanceId, () =>
        {
            if (createImageFaults.TryGetValue(instanceId, out var fault))
            {
                throw Error(fault, $"CreateImage of {instanceId} failed (injected fault)");
            }

            RequireValidName(name);
            if (!instances.TryGetValue(instanceId, out var instance) || instance.Region != region)
            {
                throw Error("InvalidInstanceID.NotFound", $"The instance ID '{instanceId}' does not exist");
            }

            if (instance.State is not ("running" or "stopped"))
            {
                throw Error("IncorrectInstanceState", $"The instance '{instanceId}' is not in a state from which it can be imaged ({instance.State})");
            }

            RequireUniqueName(region, name);
            var state = NewImageState;
            var now = clock.GetUtcNow();
            var snapshotIds = Enumerable.Range(0, SnapshotsPerImage).Select(_ => NewSnapshot(region, SnapshotStateFor(state), now, snapshotTags)).ToArray();
            var id = NewId("ami-");
            Register(new FakeImage(id, region, name, state, AccountId, now, Copy(imageTags), snapshotIds)
            {
                Description = description,
                InstanceId = instanceId,
                NoReboot = noReboot,
            });
            return id;
        });

    /// <summary>
    /// [API_CopyImage] Called in the destination Region. ClientToken (at most 64 ASCII characters,
    /// [ec2-api-idempotency]): the same token with the same parameters returns the first copy's id and copies
    /// nothing; with other parameters it is IdempotentParameterMismatch. The source must exist in SourceRegion
    /// (InvalidAMIID.NotFound) and be available (IncorrectState). The copy gets new snapshots, one per source
    /// snapshot, and only the TagSpecifications tags (CopyImageTags is not sent).
    /// </summary>
    internal string CopyImage(
        string region,
        string sourceImageId,
        string sourceRegion,
        string name,
        string? description,
        string? clientToken,
        bool encrypted,
        string? kmsKeyId,
        IReadOnlyDictionary<string, string> imageTags,
        IReadOnlyDictionary<string, string> snapshotTags) =>
        Call(region, Ec2Call.CopyImage, sourceImageId, () =>
        {
            if (copyImageFaults.TryGetValue(sourceImageId, out var fault))
            {
                throw Error(fault, $"CopyImage of {sourceImageId} failed (injected fault)");
            }

            var fingerprint = string.Join('\n', sourceImageId, sourceRegion, name, description, encrypted, kmsKeyId, Fingerprint(imageTags), Fingerprint(snapshotTags));
            if (clientToken is not null)
            {
                if (clientToken.Length > 64 || clientToken.Any(c => c > 127))
                {
                    throw Error("InvalidParameterValue", "ClientToken is at most 64 ASCII characters");
                }

                if (clientTokens.TryGetValue((region, clientToken), out var earlier))
                {
                    return earlier.Fingerprint == fingerprint
                        ? earlier.ImageId
                        : throw Error("IdempotentParameterMismatch", "The request uses the same client token as a previous, but non-identical request");
                }
            }

            if (!images.TryGetValue(sourceImageId, out var source) || source.Region != sourceRegion)
            {
                throw Error("InvalidAMIID.NotFound", $"The image id '[{sourceImageId}]' does not exist in {sourceRegion}");
            }

            if (source.State != ImageStates.Available)
            {
                throw Error("IncorrectState", $"Image {sourceImageId} is {source.State}; only available images can be copied");
            }

            if (encrypted != (kmsKeyId is not null) && kmsKeyId is not null)
            {
                throw Error("InvalidParameterCombination", "KmsKeyId requires Encrypted=true");
            }

            RequireValidName(name);
            RequireUniqueName(region, name);
            var state = NewCopyState;
            var now = clock.GetUtcNow();
            var snapshotIds = source.SnapshotIds.Select(_ => NewSnapshot(region, SnapshotStateFor(state), now, snapshotTags)).ToArray();
            var id = NewId("ami-");
            Register(new FakeImage(id, region, name, state, AccountId, now, Copy(imageTags), snapshotIds)
            {
                Description = description,
                CopiedFromImageId = sourceImageId,
                CopiedFromRegion = sourceRegion,
                ClientToken = clientToken,
                Encrypted = encrypted,
                KmsKeyId = kmsKeyId,
            });
            if (clientToken is not null)
            {
                clientTokens[(region, clientToken)] = (fingerprint, id);
            }

            return id;
        });

    /// <summary>
    /// [API_DeregisterImage] with DeleteAssociatedSnapshots=true. The image must be a registered image of the
    /// account in the Region. Each of its snapshots gets a DeleteSnapshotReturnCode [API_DeleteSnapshotReturnCode]:
    /// <c>skipped</c> when another registered image (of any state) still uses it, else <c>success</c> (deleted),
    /// unless a fault was set for it.
    /// </summary>
    internal IReadOnlyList<(string SnapshotId, string ReturnCode)> DeregisterImage(string region, string imageId) =>
        Call(region, Ec2Call.DeregisterImage, imageId, () =>
        {
            if (deregisterFaults.TryGetValue(imageId, out var fault))
            {
                throw Error(fault, $"DeregisterImage of {imageId} failed (injected fault)");
            }

            if (!images.TryGetValue(imageId, out var image) || image.Region != region)
            {
                throw Error("InvalidAMIID.NotFound", $"The image id '[{imageId}]' does not exist");
            }

            if (image.OwnerId != AccountId)
            {
                throw Error("AuthFailure", $"Not authorized for image {imageId}");
            }

            RequireNotProtected(image);
            Unregister(image);
            references.Remove((region, imageId));
            deregisteredImageIds.Add(imageId);
            ToRecycleBin(image);

            var results = new List<(string, string)>();
            foreach (var snapshotId in image.SnapshotIds.Distinct(StringComparer.Ordinal))
            {
                if (deleteSnapshotReturnCodes.TryGetValue(snapshotId, out var code))
                {
                    results.Add((snapshotId, code));
                }
                else if (UsedBy(snapshotId) is not null)
                {
                    results.Add((snapshotId, "skipped"));
                }
                else if (IsLockedNow(snapshotId))
                {
                    // EC2's own DeleteSnapshot is refused: "client-error" [API_DeleteSnapshotReturnCode; moto patch 16].
                    results.Add((snapshotId, "client-error"));
                }
                else if (snapshots.Remove(snapshotId))
                {
                    deletedSnapshotIds.Add(snapshotId);
                    results.Add((snapshotId, "success"));
                }
            }

            return (IReadOnlyList<(string, string)>)results;
        });

    /// <summary>
    /// [API_DeleteSnapshot] InvalidSnapshot.NotFound for an unknown snapshot; InvalidSnapshot.InUse only while it is
    /// the root device (the first mapping) of a registered image ("You cannot delete a snapshot of the root device of
    /// an EBS volume used by a registered AMI").
    /// </summary>
    internal bool DeleteSnapshot(string region, string snapshotId) =>
        Call(region, Ec2Call.DeleteSnapshot, snapshotId, () =>
        {
            if (deleteSnapshotFaults.TryGetValue(snapshotId, out var fault))
            {
                throw Error(fault, $"DeleteSnapshot of {snapshotId} failed (injected fault)");
            }

            if (!snapshots.TryGetValue(snapshotId, out var snapshot) || snapshot.Region != region)
            {
                throw Error("InvalidSnapshot.NotFound", $"The snapshot '{snapshotId}' does not exist.");
            }

            if (snapshot.OwnerId != AccountId)
            {
                throw Error("AuthFailure", $"Not authorized for snapshot {snapshotId}");
            }

            // Only the root-device snapshot of a registered AMI is protected; a data-volume snapshot is not.
            if (RootOf(snapshotId) is { } holder)
            {
                throw Error("InvalidSnapshot.InUse", $"The snapshot {snapshotId} is currently in use by {holder}");
            }

            if (IsLockedNow(snapshotId))
            {
                throw Error("OperationNotPermitted", $"The snapshot '{snapshotId}' is locked and can't be deleted until its lock expires.");
            }

            snapshots.Remove(snapshotId);
            deletedSnapshotIds.Add(snapshotId);
            return true;
        });
}
