using AmiRotator.Ec2;
using AmiRotator.Inventory;
using AmiRotator.Tests.Iam;

namespace AmiRotator.Tests.Permissions;

/// <summary>One EC2 API call a method of the EC2 seam (<see cref="IEc2Region"/>) makes, and every authorisation it needs.</summary>
internal sealed record SeamCall(string Method, string Region, string Ec2Action, string What, IReadOnlyList<AuthorizationRequest> Authorizations)
{
    public override string ToString() => $"{Method} → {Ec2Action} in {Region} ({What})";
}

/// <summary>
/// The table of calls: for each method of <see cref="IEc2Region"/>, the EC2 API actions it calls and what IAM
/// authorises each against — the resources it touches (source and DR Region, image, snapshots, instance, KMS key),
/// the tags in the request, and the calls AWS services make on the function's behalf. Sources, cited where used:
/// the Service Authorization Reference (test/iam/sar) and the EC2 User Guide pages named below.
/// <para>
/// Two tests keep it honest: every seam method must have rows here (reflection), and every EC2 action an
/// integration run makes against the emulator must be in <see cref="Ec2Actions"/>.
/// </para>
/// </summary>
internal static class CallTable
{
    private const string ImageReferencesService = "ec2-images.amazonaws.com";

    /// <summary>The seam methods the table covers; a method added to <see cref="IEc2Region"/> must be added here.</summary>
    public static readonly IReadOnlySet<string> Methods = new HashSet<string>(StringComparer.Ordinal)
    {
        nameof(IEc2Region.ListInstancesAsync),
        nameof(IEc2Region.ListOwnedImagesAsync),
        nameof(IEc2Region.ListManagedSnapshotsAsync),
        nameof(IEc2Region.FindReferencesAsync),
        nameof(IEc2Region.CreateImageAsync),
        nameof(IEc2Region.CopyImageAsync),
        nameof(IEc2Region.DeregisterImageAsync),
        nameof(IEc2Region.DeleteSnapshotAsync),
        nameof(IEc2Region.DryRunAsync),
        nameof(IEc2Region.FindImageAsync),
        nameof(IEc2Region.FindImagesAsync),
        nameof(IEc2Region.FindSnapshotHoldersAsync),
        nameof(IEc2Region.AdoptAsync),
        nameof(IEc2Region.ListSnapshotLocksAsync),
        nameof(IEc2Region.LockSnapshotAsync),
        nameof(IEc2Region.DeprecateImageAsync),
    };

    private static readonly string[] MutatingMethods =
    [
        nameof(IEc2Region.CreateImageAsync), nameof(IEc2Region.CopyImageAsync), nameof(IEc2Region.DeregisterImageAsync), nameof(IEc2Region.DeleteSnapshotAsync),
    ];

    public static IEnumerable<SeamCall> For(PermissionWorld world)
    {
        var calls = Calls(world).ToList();
        // [CommonParameters] DryRun "checks whether you have the required permissions for the action": the preflight's
        // dry run of a mutation needs exactly what the mutation needs.
        return calls.Concat(calls.Where(c => MutatingMethods.Contains(c.Method)).Select(c => c with { Method = nameof(IEc2Region.DryRunAsync), What = $"dry run: {c.What}" }));
    }

    private static IEnumerable<SeamCall> Calls(PermissionWorld world)
    {
        var regions = world.DrRegion is { } dr ? new[] { world.Region, dr } : [world.Region];
        foreach (var region in regions)
        {
            yield return Read(nameof(IEc2Region.ListOwnedImagesAsync), region, "ec2:DescribeImages");
            yield return Read(nameof(IEc2Region.ListManagedSnapshotsAsync), region, "ec2:DescribeSnapshots");
            yield return Read(nameof(IEc2Region.ListSnapshotLocksAsync), region, "ec2:DescribeLockedSnapshots");
            yield return Read(nameof(IEc2Region.FindImageAsync), region, "ec2:DescribeImages");
            yield return Read(nameof(IEc2Region.FindImagesAsync), region, "ec2:DescribeImages");
            yield return Read(nameof(IEc2Region.FindSnapshotHoldersAsync), region, "ec2:DescribeImages");
            yield return Read(nameof(IEc2Region.FindSnapshotHoldersAsync), region, "ec2:ListImagesInRecycleBin");
            yield return Adoption(world, region);
            foreach (var call in References(region))
            {
                yield return call;
            }

            foreach (var call in Retirement(world, region))
            {
                yield return call;
            }
        }

        yield return Read(nameof(IEc2Region.ListInstancesAsync), world.Region, "ec2:DescribeInstances");
        foreach (var call in DrillCallTable.Calls(world))
        {
            yield return call;
        }

        yield return CreateImage(world);
        if (world.Copy is not null)
        {
            yield return CopyImage(world);
        }
    }

    /// <summary>Every EC2 API action (without the "ec2:" prefix) the seam may call, in any world.</summary>
    public static IReadOnlySet<string> Ec2Actions(IEnumerable<PermissionWorld> worlds) =>
        worlds.SelectMany(For).Select(c => c.Ec2Action["ec2:".Length..]).ToHashSet(StringComparer.Ordinal);

    private static SeamCall Read(string method, string region, string action) =>
        new(method, region, action, "a paginated listing", [Request(action, "*", null, region)]);

    // [AWSEC2/latest/UserGuide/ec2-ami-references] With IncludeAllResourceTypes EC2 itself reads instances, launch
    // templates, SSM parameters and Image Builder recipes, with the caller's permissions and aws:CalledVia set to
    // ec2-images.amazonaws.com (the managed policy AmazonEC2ImageReferencesAccessPolicy grants exactly that).
    private static IEnumerable<SeamCall> References(string region)
    {
        var method = nameof(IEc2Region.FindReferencesAsync);
        var account = PermissionWorld.Account;
        var viaEc2 = new (string, string[])[] { ("aws:CalledVia", [ImageReferencesService]), ("aws:ViaAWSService", ["true"]) };
        yield return new SeamCall(method, region, "ec2:DescribeImageReferences", "IncludeAllResourceTypes, and the reads EC2 makes for it",
        [
            Request("ec2:DescribeImageReferences", "*", null, region),
            Request("ec2:DescribeInstances", "*", null, region, viaEc2),
            Request("ec2:DescribeLaunchTemplates", "*", null, region, viaEc2),
            Request("ec2:DescribeLaunchTemplateVersions", "*", null, region, viaEc2),
            Request("ssm:DescribeParameters", "*", null, region, viaEc2),
            Request("ssm:GetParameters", $"arn:{PermissionWorld.Partition}:ssm:{region}:{account}:parameter/golden/ami-id", "parameter", region, viaEc2),
            Request("imagebuilder:ListImageRecipes", "*", null, region, viaEc2),
            Request("imagebuilder:ListContainerRecipes", "*", null, region, viaEc2),
            Request("imagebuilder:GetContainerRecipe", $"arn:{PermissionWorld.Partition}:imagebuilder:{region}:{account}:container-recipe/web/1.0.0", "containerRecipe", region, viaEc2),
        ]);

        // The fallback where an endpoint lacks DescribeImageReferences: the function reads them itself.
        foreach (var action in new[] { "ec2:DescribeInstances", "ec2:DescribeLaunchTemplates", "ec2:DescribeLaunchTemplateVersions" })
        {
            yield return new SeamCall(method, region, action, "in-use fallback", [Request(action, "*", null, region)]);
        }
    }

    // A backup made before owners were recorded: managed, no owner tag. Adoption writes the owner and the policies
    // onto the image and its snapshots, nothing else.
    private static SeamCall Adoption(PermissionWorld world, string region)
    {
        var legacy = world.Backup.Tags.Where(t => t.Key is not (ManagedTags.Owner or ManagedTags.Policy or ManagedTags.DrPolicy or ManagedTags.ImageName))
            .ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        var written = AdoptionTags(world);
        (string, string[])[] context = [.. ResourceTags(legacy), .. RequestTags(written)];
        return new SeamCall(nameof(IEc2Region.AdoptAsync), region, "ec2:CreateTags", "adopt a backup made before owners were recorded",
        [
            Request("ec2:CreateTags", PermissionWorld.ImageArn(region, "ami-0eeeeeeeeeeeeeee1"), "image", region, context),
            Request("ec2:CreateTags", PermissionWorld.SnapshotArn(region, "snap-0eeeeeeeeeeeeeee1"), "snapshot", region, context),
        ]);
    }

    public static IReadOnlyDictionary<string, string> AdoptionTags(PermissionWorld world)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal) { [ManagedTags.Owner] = world.Settings.Owner, [ManagedTags.Policy] = world.Settings.Retention.ToString() };
        if (world.DrRegion is not null)
        {
            tags[ManagedTags.DrPolicy] = world.Settings.DrRetention.ToString();
        }

        return tags;
    }

    private static SeamCall CreateImage(PermissionWorld world)
    {
        var region = world.Region;
        var tags = world.Backup.Tags;
        var requests = new List<AuthorizationRequest>
        {
            Request("ec2:CreateImage", PermissionWorld.InstanceArn(region, world.Backup.InstanceId), "instance", region, ResourceTags(world.InstanceTags)),
            // The new image and snapshots have no id yet; IAM sees them as image/* and snapshot/* with the request's tags.
            Request("ec2:CreateImage", PermissionWorld.ImageArn(region, "*"), "image", region, RequestTags(tags)),
            Request("ec2:CreateImage", PermissionWorld.SnapshotArn(region, "*"), "snapshot", region, RequestTags(tags)),
        };
        requests.AddRange(TagOnCreate("CreateImage", region, tags));
        // [ebs/latest/userguide/ebs-encryption-requirements] Snapshots of a volume encrypted with a customer managed
        // key are made with that key, by EBS on the caller's behalf.
        foreach (var key in world.Keys.Source)
        {
            requests.AddRange(EbsKeyUse(key, ViaEc2(world, region), aliases: null));
        }

        return new SeamCall(nameof(IEc2Region.CreateImageAsync), region, "ec2:CreateImage", $"backup of {world.Backup.InstanceId}, image and snapshots tagged at creation", requests);
    }

    // [AWSEC2/latest/UserGuide/copy-ami-permissions] Since 2024-10-28 CopyImage is authorised against the source image
    // and its snapshots in the source Region too, besides the new image and snapshots in the destination.
    private static SeamCall CopyImage(PermissionWorld world)
    {
        var copy = world.Copy!;
        var home = world.Region;
        var dr = world.DrRegion!;
        var tags = copy.Tags;
        var sourceImageTags = world.Backup.Tags;
        var requests = new List<AuthorizationRequest>
        {
            Request("ec2:CopyImage", PermissionWorld.ImageArn(home, copy.SourceImageId), "image", dr,
                [.. RequestTags(tags), .. ResourceTags(sourceImageTags), ("ec2:Owner", [PermissionWorld.Account]), ("ec2:ImageID", [copy.SourceImageId])]),
            Request("ec2:CopyImage", PermissionWorld.SnapshotArn(home, PermissionWorld.SourceSnapshotId), "snapshot", dr, [.. RequestTags(tags), .. ResourceTags(sourceImageTags)]),
            Request("ec2:CopyImage", PermissionWorld.SnapshotArn(home, PermissionWorld.DataSnapshotId), "snapshot", dr, [.. RequestTags(tags), .. ResourceTags(sourceImageTags)]),
            Request("ec2:CopyImage", PermissionWorld.ImageArn(dr, "*"), "image", dr, RequestTags(tags)),
            Request("ec2:CopyImage", PermissionWorld.SnapshotArn(dr, "*"), "snapshot", dr, RequestTags(tags)),
        };
        requests.AddRange(TagOnCreate("CopyImage", dr, tags));

        // The source snapshots are decrypted with their own key; which Region's EC2 endpoint makes that call is not
        // documented, so the table asks for both and the policy must allow both.
        foreach (var key in world.Keys.Source)
        {
            requests.AddRange(EbsKeyUse(key, ViaEc2(world, home), aliases: null));
            requests.AddRange(EbsKeyUse(key, ViaEc2(world, dr), aliases: null));
        }

        // The copy is encrypted with DR_KMS_KEY_ID when set, else with the DR Region's EBS default key.
        if (copy.KmsKeyId is { } configured)
        {
            var (arn, aliases) = DrKey(configured, dr);
            requests.AddRange(EbsKeyUse(arn, ViaEc2(world, dr), aliases));
        }
        else if (world.Keys.DrDefaultKeyArn is { } defaultKey)
        {
            requests.AddRange(EbsKeyUse(defaultKey, ViaEc2(world, dr), aliases: null));
        }

        return new SeamCall(nameof(IEc2Region.CopyImageAsync), dr, "ec2:CopyImage", $"copy of {copy.SourceImageId} from {home}", requests);
    }

    private static IEnumerable<SeamCall> Retirement(PermissionWorld world, string region)
    {
        var isDr = region != world.Region;
        var imageId = isDr ? PermissionWorld.CopyImageId : PermissionWorld.SourceImageId;
        var snapshots = isDr ? new[] { PermissionWorld.CopySnapshotId } : [PermissionWorld.SourceSnapshotId, PermissionWorld.DataSnapshotId];
        var tags = isDr ? world.Copy!.Tags : world.Backup.Tags;
        var deleteSnapshots = snapshots.Select(s => Request("ec2:DeleteSnapshot", PermissionWorld.SnapshotArn(region, s), "snapshot", region, ResourceTags(tags))).ToList();

        // [API_DeregisterImage] DeleteAssociatedSnapshots deletes each snapshot under the caller's own
        // ec2:DeleteSnapshot permission ("missing-permissions" otherwise).
        yield return new SeamCall(nameof(IEc2Region.DeregisterImageAsync), region, "ec2:DeregisterImage", $"retire {imageId} with DeleteAssociatedSnapshots",
        [
            Request("ec2:DeregisterImage", PermissionWorld.ImageArn(region, imageId), "image", region, [.. ResourceTags(tags), ("ec2:Owner", [PermissionWorld.Account])]),
            .. deleteSnapshots,
        ]);
        yield return new SeamCall(nameof(IEc2Region.DeleteSnapshotAsync), region, "ec2:DeleteSnapshot", "a leftover or orphaned managed snapshot", deleteSnapshots);

        // DEPRECATE_AFTER_DAYS: this stack's backups and copies, in both Regions.
        yield return new SeamCall(nameof(IEc2Region.DeprecateImageAsync), region, "ec2:EnableImageDeprecation", $"deprecate {imageId}",
            [Request("ec2:EnableImageDeprecation", PermissionWorld.ImageArn(region, imageId), "image", region, [.. ResourceTags(tags), ("ec2:Owner", [PermissionWorld.Account])])]);
        if (isDr)
        {
            // DR_SNAPSHOT_LOCK: the snapshots of DR copies only.
            yield return new SeamCall(nameof(IEc2Region.LockSnapshotAsync), region, "ec2:LockSnapshot", "lock a DR copy's snapshot",
                [Request("ec2:LockSnapshot", PermissionWorld.SnapshotArn(region, PermissionWorld.CopySnapshotId), "snapshot", region, [.. ResourceTags(tags), ("ec2:Owner", [PermissionWorld.Account])])]);
        }
    }

    /// <summary>
    /// What EBS asks KMS for when it encrypts or decrypts on the caller's behalf
    /// [ebs/latest/userguide/ebs-encryption-requirements: kms:CreateGrant, Decrypt, DescribeKey,
    /// GenerateDataKeyWithoutPlainText, ReEncrypt], each through EC2 (kms:ViaService) and CreateGrant for an AWS resource.
    /// </summary>
    public static IEnumerable<AuthorizationRequest> EbsKeyUse(string keyArn, string viaService, IReadOnlyList<string>? aliases)
    {
        var region = keyArn.Split(':')[3];
        (string, string[])[] common = [("kms:ViaService", [viaService]), ("kms:CallerAccount", [PermissionWorld.Account]), .. Aliases(aliases)];
        yield return Request("kms:CreateGrant", keyArn, "key", region, [.. common, ("kms:GrantIsForAWSResource", ["true"])]);
        foreach (var action in new[] { "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo" })
        {
            yield return Request(action, keyArn, "key", region, common);
        }
    }

    private static IEnumerable<(string, string[])> Aliases(IReadOnlyList<string>? aliases) =>
        aliases is null ? [] : [("kms:ResourceAliases", [.. aliases])];

    private static (string Arn, IReadOnlyList<string>? Aliases) DrKey(string configured, string dr) => configured switch
    {
        _ when configured.StartsWith("arn:", StringComparison.Ordinal) => (configured, null),
        // An alias names a key IAM never sees by that name: the request is for the key, and carries its aliases.
        _ when configured.StartsWith("alias/", StringComparison.Ordinal) => (PermissionWorld.KeyArn(dr, PermissionWorld.AliasTargetKeyId), [configured]),
        _ => (PermissionWorld.KeyArn(dr, configured), null),
    };

    private static string ViaEc2(PermissionWorld world, string region) => $"ec2.{region}.{world.Stack.Resolver.UrlSuffix}";

    // [ec2/latest/devguide/supported-iam-actions-tagging] Tag-on-create needs ec2:CreateTags on the new resources,
    // with ec2:CreateAction naming the creating action (a dependent action of CreateImage and CopyImage in the SAR).
    private static IEnumerable<AuthorizationRequest> TagOnCreate(string creatingAction, string region, IReadOnlyDictionary<string, string> tags)
    {
        (string, string[])[] context = [.. RequestTags(tags), ("ec2:CreateAction", [creatingAction])];
        yield return Request("ec2:CreateTags", PermissionWorld.ImageArn(region, "*"), "image", region, context);
        yield return Request("ec2:CreateTags", PermissionWorld.SnapshotArn(region, "*"), "snapshot", region, context);
    }

    public static IEnumerable<(string, string[])> RequestTags(IReadOnlyDictionary<string, string> tags) =>
        tags.Select(t => ($"aws:RequestTag/{t.Key}", new[] { t.Value })).Append(("aws:TagKeys", tags.Keys.ToArray()));

    public static IEnumerable<(string, string[])> ResourceTags(IReadOnlyDictionary<string, string> tags) =>
        tags.SelectMany(t => new[] { ($"aws:ResourceTag/{t.Key}", new[] { t.Value }), ($"ec2:ResourceTag/{t.Key}", new[] { t.Value }) });

    public static AuthorizationRequest Request(string action, string resource, string? type, string region, IEnumerable<(string Key, string[] Values)>? context = null)
    {
        var map = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        if (action.StartsWith("ec2:", StringComparison.Ordinal))
        {
            map["ec2:Region"] = [region];
        }

        foreach (var (key, values) in context ?? [])
        {
            map[key] = values;
        }

        return new AuthorizationRequest(action, resource, type, map);
    }

    /// <summary>The image the function would never retire: a managed backup someone pinned.</summary>
    public static IReadOnlyDictionary<string, string> Pinned(IReadOnlyDictionary<string, string> tags) =>
        new Dictionary<string, string>(tags, StringComparer.Ordinal) { [ManagedTags.Keep] = "true" };
}
