using Xunit;
using static AmiRotator.Tests.Iam.IamScenario;

namespace AmiRotator.Tests.Iam;

/// <summary>The evaluator hands conditions only the keys the SAR lists for the action and resource type.</summary>
public sealed class ContextFilteringTests
{
    private const string ManagedRequestTag = "aws:RequestTag/ami-rotator:managed";
    private const string ManagedResourceTag = "ec2:ResourceTag/ami-rotator:managed";

    private static readonly (string, string[])[] EverythingAnImageCallCouldSend =
    [
        (ManagedRequestTag, ["true"]),
        ("aws:TagKeys", ["ami-rotator:managed"]),
        (ManagedResourceTag, ["true"]),
        ("aws:ResourceTag/ami-rotator:managed", ["true"]),
        ("ec2:Owner", ["123456789012"]),
        ("ec2:Region", ["us-west-2"]),
        ("ec2:CreateAction", ["CopyImage"]),
        ("aws:CalledVia", ["ec2.amazonaws.com"]),
    ];

    // The context is a dictionary: compare the kept keys as a set.
    private static void AssertKept(string[] expected, Evaluation evaluation) =>
        Assert.Equal(expected.Order(StringComparer.Ordinal), evaluation.EffectiveContext.Keys.Order(StringComparer.Ordinal));

    [Fact]
    public void Evaluate_WhenCopyImageOnTheImage_KeepsRequestTagsAndOwnerAndDropsResourceTags()
    {
        var evaluation = Evaluate([], Request("ec2:CopyImage", Image, "image", EverythingAnImageCallCouldSend));

        AssertKept([ManagedRequestTag, "aws:TagKeys", "ec2:Owner", "ec2:Region", "aws:CalledVia"], evaluation);
        Assert.Equal([ManagedResourceTag, "aws:ResourceTag/ami-rotator:managed", "ec2:CreateAction"], evaluation.DroppedKeys);
    }

    [Fact]
    public void Evaluate_WhenCopyImageIsConditionedOnTheSourcesResourceTag_NeverAllows()
    {
        var statements = Statement("Allow", "ec2:CopyImage", "arn:aws:ec2:*::image/*", """{"StringEquals": {"ec2:ResourceTag/ami-rotator:managed": "true"}}""");

        var evaluation = Evaluate(statements, Request("ec2:CopyImage", Image, "image", (ManagedResourceTag, ["true"])));

        Assert.Equal(Verdict.ImplicitDeny, evaluation.Verdict);
        Assert.Equal([ManagedResourceTag], evaluation.DroppedKeys);
    }

    [Fact]
    public void Evaluate_WhenCopyImageIsConditionedOnTheResourceTagBeingOtherThanTrue_HoldsBecauseTheKeyIsAbsent()
    {
        var statements = Statement("Allow", "ec2:CopyImage", "arn:aws:ec2:*::image/*", """{"StringNotEquals": {"ec2:ResourceTag/ami-rotator:managed": "true"}}""");

        Assert.Equal(Verdict.Allowed, VerdictOf(statements, Request("ec2:CopyImage", Image, "image", (ManagedResourceTag, ["true"]))));
    }

    [Fact]
    public void Evaluate_WhenDeregisterImage_KeepsTheResourceTag()
    {
        var statements = Statement("Allow", "ec2:DeregisterImage", "arn:aws:ec2:*::image/*", """{"StringEquals": {"ec2:ResourceTag/ami-rotator:managed": "true"}}""");

        var managed = Evaluate(statements, Request("ec2:DeregisterImage", Image, "image", (ManagedResourceTag, ["true"]), (ManagedRequestTag, ["true"])));
        var unmanaged = Evaluate(statements, Request("ec2:DeregisterImage", Image, "image", (ManagedResourceTag, ["false"])));

        Assert.Equal(Verdict.Allowed, managed.Verdict);
        AssertKept([ManagedResourceTag], managed);
        Assert.Equal([ManagedRequestTag], managed.DroppedKeys);
        Assert.Equal(Verdict.ImplicitDeny, unmanaged.Verdict);
    }

    [Fact]
    public void Evaluate_WhenCreateTagsOnTheImage_KeepsCreateActionFromTheActionLevel()
    {
        var evaluation = Evaluate([], Request("ec2:CreateTags", Image, "image", EverythingAnImageCallCouldSend));

        Assert.Contains("ec2:CreateAction", evaluation.EffectiveContext.Keys);
        Assert.Contains(ManagedResourceTag, evaluation.EffectiveContext.Keys);
        Assert.Empty(evaluation.DroppedKeys);
    }

    [Fact]
    public void Evaluate_WhenCreateImageOnEachResource_KeepsOnlyThatRowsKeys()
    {
        (string, string[])[] context = [("ec2:InstanceID", ["i-0123456789abcdef0"]), (ManagedRequestTag, ["true"]), ("ec2:Owner", ["123456789012"])];

        var onInstance = Evaluate([], Request("ec2:CreateImage", Instance, "instance", context));
        var onImage = Evaluate([], Request("ec2:CreateImage", Image, "image", context));
        var onSnapshot = Evaluate([], Request("ec2:CreateImage", Snapshot, "snapshot", context));

        AssertKept(["ec2:InstanceID"], onInstance);
        AssertKept([ManagedRequestTag, "ec2:Owner"], onImage);
        AssertKept([ManagedRequestTag], onSnapshot);
    }

    [Fact]
    public void Evaluate_WhenKmsCreateGrantOnTheKey_KeepsActionKeysAndTheKeyTypesAliases()
    {
        var evaluation = Evaluate([], Request(
            "kms:CreateGrant",
            Key,
            "key",
            ("kms:GrantIsForAWSResource", ["true"]),
            ("kms:ViaService", ["ec2.us-west-2.amazonaws.com"]),
            ("kms:ResourceAliases", ["alias/ami-rotator"]),
            ("kms:RequestAlias", ["alias/ami-rotator"]),
            (ManagedRequestTag, ["true"]),
            ("ec2:Owner", ["123456789012"])));

        AssertKept(["kms:GrantIsForAWSResource", "kms:ViaService", "kms:ResourceAliases"], evaluation);
        Assert.Equal(["kms:RequestAlias", ManagedRequestTag, "ec2:Owner"], evaluation.DroppedKeys);
    }

    [Fact]
    public void Evaluate_WhenKmsCreateGrantIsConditioned_SeesTheKeptKeys()
    {
        var statements = Statement("Allow", "kms:CreateGrant", "*", """
            {"Bool": {"kms:GrantIsForAWSResource": true},
             "StringLike": {"kms:ViaService": "ec2.*.amazonaws.com"},
             "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/ami-rotator"}}
            """);
        AuthorizationRequest Grant(string forAws, string via) => Request(
            "kms:CreateGrant", Key, "key", ("kms:GrantIsForAWSResource", [forAws]), ("kms:ViaService", [via]), ("kms:ResourceAliases", ["alias/other", "alias/ami-rotator"]));

        Assert.Equal(Verdict.Allowed, VerdictOf(statements, Grant("true", "ec2.us-west-2.amazonaws.com")));
        Assert.Equal(Verdict.ImplicitDeny, VerdictOf(statements, Grant("false", "ec2.us-west-2.amazonaws.com")));
        Assert.Equal(Verdict.ImplicitDeny, VerdictOf(statements, Grant("true", "rds.us-west-2.amazonaws.com")));
    }

    [Theory]
    [InlineData("ec2:CopyImage", IamScenario.Image, "image")]
    [InlineData("ec2:DescribeImages", "*", null)]
    [InlineData("kms:CreateGrant", IamScenario.Key, "key")]
    [InlineData("ssm:GetParameters", IamScenario.Parameter, "parameter")]
    [InlineData("sqs:ReceiveMessage", "arn:aws:sqs:us-west-2:123456789012:ami-rotator-events", "queue")]
    public void Evaluate_WhenGlobalKeysAreSupplied_KeepsThemForEveryAction(string action, string resource, string? resourceType)
    {
        var evaluation = Evaluate([], Request(
            action,
            resource,
            resourceType,
            ("aws:CalledVia", ["ec2-images.amazonaws.com"]),
            ("aws:ViaAWSService", ["true"]),
            ("aws:SourceArn", ["arn:aws:events:us-west-2:123456789012:rule/x"]),
            ("aws:PrincipalAccount", ["123456789012"])));

        AssertKept(["aws:CalledVia", "aws:ViaAWSService", "aws:SourceArn", "aws:PrincipalAccount"], evaluation);
        Assert.Empty(evaluation.DroppedKeys);
    }

    [Fact]
    public void Evaluate_WhenTagKeysGoToAnActionWithoutThem_DropsThem()
    {
        var evaluation = Evaluate([], Request("ec2:DeregisterImage", Image, "image", ("aws:TagKeys", ["Name"]), ("aws:ResourceTag/Name", ["x"])));

        AssertKept(["aws:ResourceTag/Name"], evaluation);
        Assert.Equal(["aws:TagKeys"], evaluation.DroppedKeys);
    }

    [Fact]
    public void Evaluate_WhenKeysAreKept_LooksThemUpCaseInsensitively()
    {
        var evaluation = Evaluate([], Request("ec2:DeregisterImage", Image, "image", ("EC2:RESOURCETAG/Backup", ["true"])));

        Assert.Equal(["true"], evaluation.EffectiveContext["ec2:resourcetag/backup"]);
    }
}
