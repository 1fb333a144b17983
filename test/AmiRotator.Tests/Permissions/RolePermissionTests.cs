using AmiRotator.Inventory;
using AmiRotator.Tests.Iam;
using Xunit;
using static AmiRotator.Tests.Permissions.RoleEvaluation;

namespace AmiRotator.Tests.Permissions;

/// <summary>
/// The function's role, as CloudFormation creates it from the transformed template and from the StackSet edition,
/// evaluated against the Service Authorization Reference: every call the function makes is allowed, and what it
/// must never do is denied. Nothing here reads the YAML as written.
/// </summary>
public sealed class RolePermissionTests
{
    public static TheoryData<string> Worlds => Deployments.Names();

    public static TheoryData<string> DrWorlds
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var kind in new[] { "SAM", "StackSet" })
            {
                foreach (var (name, parameters, _) in Deployments.Cases().Where(c => c.Parameters.ContainsKey("DrRegion")))
                {
                    data.Add($"{kind}: {name}");
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Worlds))]
    public void EveryCall_WhenTheFunctionMakesIt_IsAllowed(string deployment)
    {
        var world = Deployments.Named(deployment);
        var statements = world.Stack.RoleStatements;

        var refused = CallTable.For(world)
            .SelectMany(call => call.Authorizations.Select(request => (call, request, Evaluator.Evaluate(statements, request))))
            .Where(r => r.Item3.Verdict != Verdict.Allowed)
            .Select(r => $"{r.call}: {r.request.Action} on {r.request.Resource} is {r.Item3.Verdict}" +
                         (r.Item3.DroppedKeys.Count > 0 ? $" (keys the SAR does not put in this request: {string.Join(", ", r.Item3.DroppedKeys)})" : ""))
            .ToList();

        Assert.True(refused.Count == 0, $"{world}: {refused.Count} authorisation(s) refused:\n{string.Join("\n", refused)}");
    }

    [Theory]
    [MemberData(nameof(Worlds))]
    public void Deregister_WhenTheImageIsNotManaged_IsDenied(string deployment)
    {
        var world = Deployments.Named(deployment);
        var unmanaged = Without(world.Backup.Tags, ManagedTags.Managed);

        var image = Evaluate(world, CallTable.Request("ec2:DeregisterImage", PermissionWorld.ImageArn(world.Region, "ami-0ccccccccccccccc1"), "image", world.Region, CallTable.ResourceTags(unmanaged)));
        var snapshot = Evaluate(world, CallTable.Request("ec2:DeleteSnapshot", PermissionWorld.SnapshotArn(world.Region, "snap-0ccccccccccccccc1"), "snapshot", world.Region, CallTable.ResourceTags(unmanaged)));

        Assert.Equal(Verdict.ImplicitDeny, image.Verdict);
        Assert.Equal(Verdict.ImplicitDeny, snapshot.Verdict);
    }

    [Theory]
    [MemberData(nameof(Worlds))]
    public void Deregister_WhenAManagedImageIsPinned_IsExplicitlyDenied(string deployment)
    {
        var world = Deployments.Named(deployment);

        foreach (var region in new[] { world.Region, world.DrRegion }.OfType<string>())
        {
            var evaluation = Evaluate(world, CallTable.Request("ec2:DeregisterImage", PermissionWorld.ImageArn(region, PermissionWorld.SourceImageId), "image", region,
                CallTable.ResourceTags(CallTable.Pinned(world.Backup.Tags))));

            Assert.Equal(Verdict.ExplicitDeny, evaluation.Verdict);
        }
    }

    [Theory]
    [MemberData(nameof(Worlds))]
    public void Retire_WhenAnotherStackOwnsTheBackup_IsDenied(string deployment)
    {
        var world = Deployments.Named(deployment);
        var theirs = new Dictionary<string, string>(world.Backup.Tags, StringComparer.Ordinal) { [ManagedTags.Owner] = "another-stack@us-east-1" };

        Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, CallTable.Request("ec2:DeregisterImage", PermissionWorld.ImageArn(world.Region, PermissionWorld.SourceImageId), "image", world.Region, CallTable.ResourceTags(theirs))).Verdict);
        Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, CallTable.Request("ec2:DeleteSnapshot", PermissionWorld.SnapshotArn(world.Region, PermissionWorld.SourceSnapshotId), "snapshot", world.Region, CallTable.ResourceTags(theirs))).Verdict);
    }

    [Theory]
    [MemberData(nameof(Worlds))]
    public void CreateImage_WhenTheRequestNamesAnotherOwner_IsDenied(string deployment)
    {
        var world = Deployments.Named(deployment);
        var theirs = new Dictionary<string, string>(world.Backup.Tags, StringComparer.Ordinal) { [ManagedTags.Owner] = "another-stack@us-east-1" };

        Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, CallTable.Request("ec2:CreateImage", PermissionWorld.ImageArn(world.Region, "*"), "image", world.Region, CallTable.RequestTags(theirs))).Verdict);
    }

    [Theory]
    [MemberData(nameof(Worlds))]
    public void Adopt_WhenTheBackupAlreadyHasAnOwnerOrMoreTagsAreWritten_IsDenied(string deployment)
    {
        var world = Deployments.Named(deployment);
        var image = PermissionWorld.ImageArn(world.Region, "ami-0eeeeeeeeeeeeeee1");
        var owned = new Dictionary<string, string>(world.Backup.Tags, StringComparer.Ordinal) { [ManagedTags.Owner] = "another-stack@us-east-1" };
        var legacy = world.Backup.Tags.Where(t => t.Key != ManagedTags.Owner).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        var adoption = CallTable.AdoptionTags(world);

        // Re-claiming another stack's backup.
        Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, CallTable.Request("ec2:CreateTags", image, "image", world.Region, [.. CallTable.ResourceTags(owned), .. CallTable.RequestTags(adoption)])).Verdict);
        // Claiming it for someone else.
        var forOthers = new Dictionary<string, string>(adoption, StringComparer.Ordinal) { [ManagedTags.Owner] = "another-stack@us-east-1" };
        Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, CallTable.Request("ec2:CreateTags", image, "image", world.Region, [.. CallTable.ResourceTags(legacy), .. CallTable.RequestTags(forOthers)])).Verdict);
        // Writing anything else while at it (unpinning, re-tagging, un-managing).
        var more = new Dictionary<string, string>(adoption, StringComparer.Ordinal) { [ManagedTags.Keep] = "false" };
        Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, CallTable.Request("ec2:CreateTags", image, "image", world.Region, [.. CallTable.ResourceTags(legacy), .. CallTable.RequestTags(more)])).Verdict);
        // An image AmiRotator never made.
        var handMade = new Dictionary<string, string>(StringComparer.Ordinal) { ["Name"] = "golden" };
        Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, CallTable.Request("ec2:CreateTags", image, "image", world.Region, [.. CallTable.ResourceTags(handMade), .. CallTable.RequestTags(adoption)])).Verdict);
    }

    [Theory]
    [MemberData(nameof(Worlds))]
    public void ModifyImageAttribute_WhenTheImageIsManaged_IsDenied(string deployment)
    {
        var world = Deployments.Named(deployment);

        var evaluation = Evaluate(world, CallTable.Request("ec2:ModifyImageAttribute", PermissionWorld.ImageArn(world.Region, PermissionWorld.SourceImageId), "image", world.Region,
            [.. CallTable.ResourceTags(world.Backup.Tags), ("ec2:Attribute", ["launchPermission"])]));

        Assert.NotEqual(Verdict.Allowed, evaluation.Verdict);
    }

    [Theory]
    [MemberData(nameof(Worlds))]
    public void CreateImage_WhenTheRequestLacksTheManagedTag_IsDenied(string deployment)
    {
        var world = Deployments.Named(deployment);
        var untagged = Without(world.Backup.Tags, ManagedTags.Managed);

        foreach (var (arn, type) in new[] { (PermissionWorld.ImageArn(world.Region, "*"), "image"), (PermissionWorld.SnapshotArn(world.Region, "*"), "snapshot") })
        {
            Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, CallTable.Request("ec2:CreateImage", arn, type, world.Region, CallTable.RequestTags(untagged))).Verdict);
            Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, CallTable.Request("ec2:CreateTags", arn, type, world.Region,
                [.. CallTable.RequestTags(untagged), ("ec2:CreateAction", ["CreateImage"])])).Verdict);
        }
    }

    [Theory]
    [MemberData(nameof(DrWorlds))]
    public void CopyImage_WhenTheRequestLacksTheManagedTag_IsDenied(string deployment)
    {
        var world = Deployments.Named(deployment);
        var dr = world.DrRegion!;
        var untagged = Without(world.Copy!.Tags, ManagedTags.Managed);

        Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, CallTable.Request("ec2:CopyImage", PermissionWorld.ImageArn(dr, "*"), "image", dr, CallTable.RequestTags(untagged))).Verdict);
        Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, CallTable.Request("ec2:CopyImage", PermissionWorld.SnapshotArn(dr, "*"), "snapshot", dr, CallTable.RequestTags(untagged))).Verdict);
    }

    [Theory]
    [MemberData(nameof(DrWorlds))]
    public void CopyImage_WhenTheSourceBelongsToAnotherAccount_IsDenied(string deployment)
    {
        var world = Deployments.Named(deployment);
        var dr = world.DrRegion!;

        var evaluation = Evaluate(world, CallTable.Request("ec2:CopyImage", PermissionWorld.ImageArn(world.Region, "ami-0ddddddddddddddd1"), "image", dr,
            [.. CallTable.RequestTags(world.Copy!.Tags), ("ec2:Owner", ["210987654321"]), ("ec2:ImageID", ["ami-0ddddddddddddddd1"])]));

        Assert.Equal(Verdict.ImplicitDeny, evaluation.Verdict);
    }

    /// <summary>
    /// Least privilege over every service the SAR data covers (ec2, kms, ssm, imagebuilder, sqs): the role grants an
    /// action only if the table of calls needs it. The one exception is the OnFailure destination's sqs:SendMessage,
    /// which Lambda itself sends with the function's role (AWS Lambda Developer Guide, invocation-async-destinations).
    /// </summary>
    [Fact]
    public void Actions_WhenTheFunctionNeverCallsThem_AreGrantedByNoStatement()
    {
        var worlds = Deployments.All().ToList();
        var used = worlds.SelectMany(CallTable.For).SelectMany(c => c.Authorizations).Select(a => a.Action)
            .Append("sqs:SendMessage")
            // [lambda/latest/dg/with-sqs] The event source mapping polls the queue with the function's execution role:
            // "sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes" (AWSLambdaSQSQueueExecutionRole).
            .Concat(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"])
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var unused = Services.SelectMany(s => Reference.ActionsMatching($"{s}:*")).Where(a => !used.Contains(a)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.Contains("ec2:ModifyImageAttribute", unused);
        Assert.Contains("kms:Encrypt", unused);

        var granted = worlds
            .SelectMany(w => w.Stack.RoleStatements.Where(s => s.Effect == "Allow").Select(s => (w, s)))
            .SelectMany(p => GrantedActions(p.s).Where(unused.Contains).Select(a => $"{p.w}: {p.s.Sid ?? "(no Sid)"} grants {a}"))
            .Distinct()
            .ToList();

        Assert.True(granted.Count == 0, string.Join("\n", granted));
    }

    [Fact]
    public void Actions_WhenTheRoleNamesThem_AreRealActionsOfTheirService()
    {
        var misspelt = Deployments.All()
            .SelectMany(w => w.Stack.RoleStatements)
            .SelectMany(s => (s.Action ?? []).Concat(s.NotAction ?? []))
            .Where(pattern => Reference.CoversService(pattern.Split(':')[0]) && Reference.ActionsMatching(pattern).Count == 0)
            .Distinct()
            .ToList();

        Assert.Empty(misspelt);
    }

    [Theory]
    [MemberData(nameof(Worlds))]
    public void ReadsOfOtherServices_WhenNotMadeByEc2ForTheImageReferenceCheck_AreDenied(string deployment)
    {
        var world = Deployments.Named(deployment);
        var region = world.Region;
        var arn = $"arn:aws:ssm:{region}:{PermissionWorld.Account}:parameter/golden/ami-id";

        Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, CallTable.Request("ssm:GetParameters", arn, "parameter", region)).Verdict);
        Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, CallTable.Request("ssm:GetParameters", arn, "parameter", region, [("aws:CalledVia", ["cloudformation.amazonaws.com"])])).Verdict);
        Assert.Equal(Verdict.ImplicitDeny, Evaluate(world, CallTable.Request("imagebuilder:ListImageRecipes", "*", null, region)).Verdict);
    }

    [Theory]
    [MemberData(nameof(Worlds))]
    public void KmsKeys_WhenUsedOtherThanThroughEc2_AreDenied(string deployment)
    {
        var world = Deployments.Named(deployment);
        var keys = world.Keys.Source.Append(world.Keys.DrDefaultKeyArn).Append(PermissionWorld.KeyArn(Deployments.Dr, Deployments.DrKeyId)).OfType<string>();

        foreach (var key in keys)
        {
            foreach (var request in CallTable.EbsKeyUse(key, $"lambda.{world.Region}.amazonaws.com", aliases: null))
            {
                Assert.True(Evaluate(world, request).Verdict != Verdict.Allowed, $"{world}: {request.Action} on {key} through Lambda is allowed.");
            }
        }
    }

    private static readonly string[] Services = ["ec2", "kms", "ssm", "imagebuilder", "sqs"];

    private static IEnumerable<string> GrantedActions(IamStatement statement) =>
        statement.Action is { } actions
            ? actions.SelectMany(Reference.ActionsMatching)
            : Services.SelectMany(s => Reference.ActionsMatching($"{s}:*")).Except(statement.NotAction!.SelectMany(Reference.ActionsMatching), StringComparer.OrdinalIgnoreCase);

    private static Dictionary<string, string> Without(IReadOnlyDictionary<string, string> tags, string key) =>
        tags.Where(t => t.Key != key).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
}
