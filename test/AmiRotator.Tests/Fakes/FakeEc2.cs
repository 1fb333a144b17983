using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Amazon.EC2;
using Amazon.Runtime;
using AmiRotator.Inventory;

namespace AmiRotator.Tests.Fakes;

/// <summary>
/// An in-memory EC2 for one account across Regions, for the API actions AmiRotator calls. Each action follows
/// the EC2 API Reference (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/, page named on each method):
/// the same validations, the same error codes (as <see cref="AmazonEC2Exception"/>, see errors-overview.html), the
/// same idempotency. <see cref="Region"/> hands out the <see cref="FakeEc2Region"/> that implements the seam, and
/// translates API errors exactly as the production <c>Ec2Region</c> does.
/// </summary>
/// <remarks>
/// <para>Thread-safe: every action runs under one lock, so concurrent passes see EC2 as atomic per call, as AWS does.</para>
/// <para>Where the reference is silent the fake chooses the conservative answer and says so on the member.</para>
/// <para>Knobs: <see cref="NewImageState"/>, <see cref="NewCopyState"/>, <see cref="SnapshotsPerImage"/>,
/// <see cref="SetImageState"/>, the <c>Fail*</c> faults, <see cref="SetDeleteSnapshotReturnCode"/> and
/// <see cref="BeforeCall"/> and <see cref="AfterCall"/> (to hold calls at a rendezvous and provoke races).</para>
/// </remarks>
internal sealed partial class FakeEc2
{
    public const string DefaultAccountId = "123456789012";

    /// <summary>The states DescribeInstances returns for AmiRotator's tag listing (the production filter).</summary>
    private static readonly string[] ListedInstanceStates = ["pending", "running", "stopping", "stopped"];

    /// <summary>DeleteSnapshotReturnCode valid values other than success [API_DeleteSnapshotReturnCode].</summary>
    private static readonly string[] FailureReturnCodes = ["skipped", "missing-permissions", "internal-error", "client-error"];

    private readonly Lock gate = new();
    private readonly TimeProvider clock;
    private readonly Dictionary<string, FakeEc2Region> regions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FakeInstance> instances = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FakeImage> images = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FakeSnapshot> snapshots = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Region, string ImageId), List<string>> references = [];
    private readonly Dictionary<(string Region, string Token), (string Fingerprint, string ImageId)> clientTokens = [];
    private readonly List<Ec2Call> calls = [];
    private readonly List<string> deregisteredImageIds = [];
    private readonly List<string> deletedSnapshotIds = [];
    private readonly Dictionary<string, string> createImageFaults = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> copyImageFaults = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> deregisterFaults = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> deleteSnapshotFaults = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> deleteSnapshotReturnCodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> referenceFaults = new(StringComparer.Ordinal);
    private long nextId;

    public FakeEc2(TimeProvider clock, string accountId = DefaultAccountId)
    {
        this.clock = clock;
        AccountId = accountId;
    }

    public string AccountId { get; }

    /// <summary>The state CreateImage gives a new image. AWS: <c>pending</c>, later <c>available</c> [API_CreateImage].</summary>
    public string NewImageState { get; set; } = ImageStates.Pending;

    /// <summary>The state CopyImage gives a new copy. AWS: <c>pending</c> [API_CopyImage].</summary>
    public string NewCopyState { get; set; } = ImageStates.Pending;

    /// <summary>How many EBS snapshots CreateImage makes (one per EBS volume of the instance).</summary>
    public int SnapshotsPerImage { get; set; } = 1;

    /// <summary>Awaited before every API call, outside the lock: a test can hold calls here to force an interleaving.</summary>
    public Func<Ec2Call, CancellationToken, Task>? BeforeCall { get; set; }

    /// <summary>
    /// Awaited after every successful API call, before the caller sees the answer: holding the listings here makes
    /// two passes read the same EC2 before either of them writes.
    /// </summary>
    public Func<Ec2Call, CancellationToken, Task>? AfterCall { get; set; }

    /// <summary>Every call so far, in arrival order.</summary>
    public IReadOnlyList<Ec2Call> Calls
    {
        get
        {
            lock (gate)
            {
                return [.. calls];
            }
        }
    }

    /// <summary>CreateImage, CopyImage, DeregisterImage and DeleteSnapshot calls, failed ones included.</summary>
    public int MutationCount => Calls.Count(c => c.IsMutation);

    public IReadOnlyList<string> DeregisteredImageIds
    {
        get
        {
            lock (gate)
            {
                return [.. deregisteredImageIds];
            }
        }
    }

    public IReadOnlyList<string> DeletedSnapshotIds
    {
        get
        {
            lock (gate)
            {
                return [.. deletedSnapshotIds];
            }
        }
    }

    /// <summary>The seam for one Region of this account.</summary>
    public FakeEc2Region Region(string region)
    {
        lock (gate)
        {
            if (!regions.TryGetValue(region, out var client))
            {
                client = new FakeEc2Region(this, region);
                regions[region] = client;
            }

            return client;
        }
    }

    public IReadOnlyList<Ec2Call> CallsTo(string action) => [.. Calls.Where(c => c.Action == action)];

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

            images[id] = new FakeImage(id, region, imageName, state, owner, created, Copy(tags), [.. ids]);
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

    // ---- Faults ----------------------------------------------------------------------------------------------

    /// <summary>CreateImage of this instance fails with <paramref name="errorCode"/> until <see cref="ClearFaults"/>.</summary>
    public void FailCreateImage(string instanceId, string errorCode = "InternalError") => SetFault(createImageFaults, instanceId, errorCode);

    /// <summary>CopyImage of this source image fails with <paramref name="errorCode"/> until <see cref="ClearFaults"/>.</summary>
    public void FailCopyImage(string sourceImageId, string errorCode = "InternalError") => SetFault(copyImageFaults, sourceImageId, errorCode);

    /// <summary>DeregisterImage of this image fails (nothing changes) until <see cref="ClearFaults"/>.</summary>
    public void FailDeregisterImage(string imageId, string errorCode = "InternalError") => SetFault(deregisterFaults, imageId, errorCode);

    /// <summary>DeleteSnapshot of this snapshot fails (it stays) until <see cref="ClearFaults"/>.</summary>
    public void FailDeleteSnapshot(string snapshotId, string errorCode = "InternalError") => SetFault(deleteSnapshotFaults, snapshotId, errorCode);

    /// <summary>DescribeImageReferences in this Region fails, as when the check is unavailable.</summary>
    public void FailImageReferences(string region, string errorCode = "InternalError") => SetFault(referenceFaults, region, errorCode);

    /// <summary>
    /// DeregisterImage with DeleteAssociatedSnapshots leaves this snapshot in place and reports
    /// <paramref name="returnCode"/> for it (missing-permissions, internal-error, client-error, or skipped).
    /// </summary>
    public void SetDeleteSnapshotReturnCode(string snapshotId, string returnCode)
    {
        if (!FailureReturnCodes.Contains(returnCode, StringComparer.Ordinal))
        {
            throw new ArgumentException($"'{returnCode}' is not a DeleteSnapshotReturnCode failure; valid: {string.Join(", ", FailureReturnCodes)}", nameof(returnCode));
        }

        SetFault(deleteSnapshotReturnCodes, snapshotId, returnCode);
    }

    public void ClearFaults()
    {
        lock (gate)
        {
            createImageFaults.Clear();
            copyImageFaults.Clear();
            deregisterFaults.Clear();
            deleteSnapshotFaults.Clear();
            deleteSnapshotReturnCodes.Clear();
            referenceFaults.Clear();
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
                .Select(i => new Ec2Image(i.ImageId, region, i.Name, i.State, i.OwnerId, i.CreationDate, Copy(i.Tags), [.. i.SnapshotIds], i.DeregistrationProtection))];
        });

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
            images[id] = new FakeImage(id, region, name, state, AccountId, now, Copy(imageTags), snapshotIds)
            {
                Description = description,
                InstanceId = instanceId,
                NoReboot = noReboot,
            };
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
            images[id] = new FakeImage(id, region, name, state, AccountId, now, Copy(imageTags), snapshotIds)
            {
                Description = description,
                CopiedFromImageId = sourceImageId,
                CopiedFromRegion = sourceRegion,
                ClientToken = clientToken,
                Encrypted = encrypted,
                KmsKeyId = kmsKeyId,
            };
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
            images.Remove(imageId);
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

            snapshots.Remove(snapshotId);
            deletedSnapshotIds.Add(snapshotId);
            return true;
        });

    // ---- Helpers (callers hold the lock) ----------------------------------------------------------------------

    private T Call<T>(string region, string action, string subject, Func<T> body)
    {
        lock (gate)
        {
            try
            {
                RequireAllowed(region, action);
                var result = body();
                calls.Add(new Ec2Call(region, action, subject));
                return result;
            }
            catch (AmazonEC2Exception e)
            {
                calls.Add(new Ec2Call(region, action, subject, e.ErrorCode));
                throw;
            }
        }
    }

    private string? RootOf(string snapshotId) =>
        images.Values.Where(i => i.SnapshotIds.Count > 0 && i.SnapshotIds[0] == snapshotId).Select(i => i.ImageId).Order(StringComparer.Ordinal).FirstOrDefault();

    private string? UsedBy(string snapshotId) =>
        images.Values.Where(i => i.SnapshotIds.Contains(snapshotId, StringComparer.Ordinal)).Select(i => i.ImageId).Order(StringComparer.Ordinal).FirstOrDefault();

    private FakeImage? FindByName(string region, string ownerId, string name) =>
        images.Values.FirstOrDefault(i => i.Region == region && i.OwnerId == ownerId && i.Name == name);

    private void RequireUniqueName(string region, string name)
    {
        if (FindByName(region, AccountId, name) is not null)
        {
            throw Error("InvalidAMIName.Duplicate", $"AMI name {name} is already in use by AMI {FindByName(region, AccountId, name)!.ImageId}");
        }
    }

    private static void RequireValidName(string name)
    {
        if (!AmiName().IsMatch(name))
        {
            throw Error("InvalidAMIName.Malformed", $"AMI names must be 3 to 128 characters of letters, numbers, ()[] ./-'@_: '{name}'");
        }
    }

    private string NewSnapshot(string region, string state, DateTimeOffset startTime, IReadOnlyDictionary<string, string> tags)
    {
        var id = NewId("snap-");
        snapshots[id] = new FakeSnapshot(id, region, AccountId, state, startTime, Copy(tags));
        return id;
    }

    private string NewId(string prefix)
    {
        // 17 hex digits as EC2 issues them; the leading 'f' keeps them clear of ids a test seeds by hand.
        var n = Interlocked.Increment(ref nextId);
        return $"{prefix}f{n.ToString("x16", CultureInfo.InvariantCulture)}";
    }

    private void SetFault(Dictionary<string, string> faults, string key, string value)
    {
        lock (gate)
        {
            faults[key] = value;
        }
    }

    private static string SnapshotStateFor(string imageState) => imageState switch
    {
        ImageStates.Pending => "pending",
        ImageStates.Failed or ImageStates.Error => "error",
        _ => "completed",
    };

    private static string Fingerprint(IReadOnlyDictionary<string, string> tags) =>
        string.Join(';', tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"));

    private static Dictionary<string, string> Copy(IReadOnlyDictionary<string, string>? tags) =>
        tags is null ? new(StringComparer.Ordinal) : new(tags, StringComparer.Ordinal);

    private static AmazonEC2Exception Error(string code, string message)
    {
        var server = code is "InternalError" or "ServiceUnavailable" or "Unavailable";
        var status = code switch
        {
            _ when server => HttpStatusCode.InternalServerError,
            "UnauthorizedOperation" => HttpStatusCode.Forbidden,
            "DryRunOperation" => HttpStatusCode.PreconditionFailed,
            _ => HttpStatusCode.BadRequest,
        };
        return new AmazonEC2Exception(message, server ? ErrorType.Receiver : ErrorType.Sender, code, "fake-request", status);
    }

    [GeneratedRegex(@"^[A-Za-z0-9()\[\] ./\-'@_]{3,128}$")]
    private static partial Regex AmiName();
}
