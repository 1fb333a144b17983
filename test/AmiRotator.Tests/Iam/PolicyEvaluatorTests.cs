using Xunit;
using static AmiRotator.Tests.Iam.IamScenario;

namespace AmiRotator.Tests.Iam;

public sealed class PolicyEvaluatorTests
{
    private const string ManagedTag = "aws:RequestTag/ami-rotator:managed";

    private static readonly AuthorizationRequest DescribeImages = Request("ec2:DescribeImages", "*", null);

    private static readonly AuthorizationRequest DeregisterImage = Request("ec2:DeregisterImage", Image, "image");

    [Fact]
    public void Evaluate_WhenAnAllowMatches_IsAllowedAndNamesIt()
    {
        var evaluation = Evaluate(Statement("Allow", "ec2:DescribeImages", "*"), DescribeImages);

        Assert.Equal(Verdict.Allowed, evaluation.Verdict);
        Assert.Equal(["S"], evaluation.AllowedBy);
        Assert.Empty(evaluation.DeniedBy);
    }

    [Fact]
    public void Evaluate_WhenNoStatementMatches_IsImplicitDeny()
    {
        var evaluation = Evaluate(Statement("Allow", "ec2:DescribeSnapshots", "*"), DescribeImages);

        Assert.Equal(Verdict.ImplicitDeny, evaluation.Verdict);
        Assert.Empty(evaluation.AllowedBy);
        Assert.Empty(evaluation.DeniedBy);
    }

    [Fact]
    public void Evaluate_WhenThereAreNoStatements_IsImplicitDeny()
    {
        Assert.Equal(Verdict.ImplicitDeny, VerdictOf([], DescribeImages));
    }

    [Fact]
    public void Evaluate_WhenADenyAlsoMatches_ExplicitDenyBeatsTheAllow()
    {
        var statements = Parse("""
            {"Statement": [
              {"Sid": "Read", "Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
              {"Sid": "NoDeregister", "Effect": "Deny", "Action": "ec2:DeregisterImage", "Resource": "*"}
            ]}
            """);

        var evaluation = Evaluate(statements, DeregisterImage);

        Assert.Equal(Verdict.ExplicitDeny, evaluation.Verdict);
        Assert.Equal(["NoDeregister"], evaluation.DeniedBy);
        Assert.Equal(["Read"], evaluation.AllowedBy);
        Assert.Equal(Verdict.Allowed, VerdictOf(statements, DescribeImages));
    }

    [Fact]
    public void Evaluate_WhenTheDenysConditionFails_TheAllowStands()
    {
        var statements = Parse("""
            {"Statement": [
              {"Effect": "Allow", "Action": "ec2:DeregisterImage", "Resource": "*"},
              {"Effect": "Deny", "Action": "ec2:DeregisterImage", "Resource": "*", "Condition": {"StringNotEquals": {"ec2:ResourceTag/ami-rotator:managed": "true"}}}
            ]}
            """);

        var managed = Evaluate(statements, Request("ec2:DeregisterImage", Image, "image", ("ec2:ResourceTag/ami-rotator:managed", ["true"])));
        var unmanaged = Evaluate(statements, DeregisterImage);

        Assert.Equal(Verdict.Allowed, managed.Verdict);
        Assert.Equal(["#0"], managed.AllowedBy);
        Assert.Equal(Verdict.ExplicitDeny, unmanaged.Verdict);
        Assert.Equal(["#1"], unmanaged.DeniedBy);
    }

    [Fact]
    public void Evaluate_WhenNotAction_AppliesToEveryOtherAction()
    {
        var statements = Parse("""
            {"Statement": [
              {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
              {"Effect": "Deny", "NotAction": ["ec2:Describe*", "ec2:DeregisterImage"], "Resource": "*"}
            ]}
            """);

        Assert.Equal(Verdict.Allowed, VerdictOf(statements, DescribeImages));
        Assert.Equal(Verdict.Allowed, VerdictOf(statements, DeregisterImage));
        Assert.Equal(Verdict.ExplicitDeny, VerdictOf(statements, Request("ec2:ModifyImageAttribute", Image, "image")));
    }

    [Fact]
    public void Evaluate_WhenNotActionAllow_GrantsEverythingElse()
    {
        var statements = Parse("""{"Statement": {"Effect": "Allow", "NotAction": "ec2:ModifyImageAttribute", "Resource": "*"}}""");

        Assert.Equal(Verdict.Allowed, VerdictOf(statements, DeregisterImage));
        Assert.Equal(Verdict.ImplicitDeny, VerdictOf(statements, Request("ec2:ModifyImageAttribute", Image, "image")));
    }

    [Fact]
    public void Evaluate_WhenNotResource_AppliesToEveryOtherResource()
    {
        var statements = Parse("""{"Statement": {"Effect": "Allow", "Action": "ec2:CreateTags", "NotResource": "arn:aws:ec2:*:*:instance/*"}}""");

        Assert.Equal(Verdict.Allowed, VerdictOf(statements, Request("ec2:CreateTags", Image, "image")));
        Assert.Equal(Verdict.Allowed, VerdictOf(statements, Request("ec2:CreateTags", Snapshot, "snapshot")));
        Assert.Equal(Verdict.ImplicitDeny, VerdictOf(statements, Request("ec2:CreateTags", Instance, "instance")));
    }

    [Fact]
    public void Evaluate_WhenNotResourceIsAnArn_StillCoversTheStarResource()
    {
        var statements = Parse("""{"Statement": {"Effect": "Deny", "Action": "ec2:*", "NotResource": "arn:aws:ec2:*::image/*"}}""");

        Assert.Equal(Verdict.ExplicitDeny, VerdictOf(statements, DescribeImages));
        Assert.Equal(Verdict.ImplicitDeny, VerdictOf(statements, DeregisterImage));
    }

    [Theory]
    [InlineData("ec2:Describe*", "ec2:DescribeImages", true)]
    [InlineData("ec2:Describe*", "ec2:DescribeImageReferences", true)]
    [InlineData("ec2:Describe*", "ec2:CreateImage", false)]
    [InlineData("ec2:*Image", "ec2:CreateImage", true)]
    [InlineData("ec2:*Image", "ec2:DescribeImages", false)]
    [InlineData("ec2:?opyImage", "ec2:CopyImage", true)]
    [InlineData("ec2:*", "ec2:TerminateInstances", true)]
    [InlineData("kms:*", "ec2:CreateImage", false)]
    [InlineData("*", "kms:CreateGrant", true)]
    [InlineData("EC2:createimage", "ec2:CreateImage", true)]
    [InlineData("ec2:CreateImage", "EC2:CREATEIMAGE", true)]
    [InlineData("ec2:CreateImage", "ec2:CopyImage", false)]
    public void Evaluate_WhenActionPatternsUseWildcardsOrOtherCase_MatchesCaseInsensitively(string pattern, string action, bool allowed)
    {
        var request = Sar.Load().ResourceTypesOf(action) is { Count: > 0 } types
            ? Request(action, types[0].Name switch { "instance" => Instance, "key" => Key, _ => Image }, types[0].Name)
            : Request(action, "*", null);

        Assert.Equal(allowed ? Verdict.Allowed : Verdict.ImplicitDeny, VerdictOf(Statement("Allow", pattern, "*"), request));
    }

    [Theory]
    [InlineData("arn:aws:ec2:*::image/*", true)]
    [InlineData("arn:aws:ec2:us-west-2::image/ami-0123456789abcdef0", true)]
    [InlineData("arn:aws:ec2:us-west-?::image/ami-*", true)]
    [InlineData("arn:*:ec2:*:*:image/*", true)]
    [InlineData("arn:aws:ec2:*:*:*", true)]
    [InlineData("arn:aws:ec2:us-east-1::image/*", false)]
    [InlineData("arn:aws:ec2:*::snapshot/*", false)]
    [InlineData("arn:aws:ec2:*::image/AMI-*", false)]
    [InlineData("arn:aws:ec2:*::Image/*", false)]
    [InlineData("arn:aws-cn:ec2:*::image/*", false)]
    [InlineData("arn:aws:ec2:*:123456789012:image/*", false)]
    public void Evaluate_WhenResourcePatternsUseWildcards_MatchesEachArnPartCaseSensitively(string pattern, bool allowed)
    {
        Assert.Equal(allowed ? Verdict.Allowed : Verdict.ImplicitDeny, VerdictOf(Statement("Allow", "ec2:DeregisterImage", pattern), DeregisterImage));
    }

    [Fact]
    public void Evaluate_WhenTheRequestResourceIsStar_OnlyAStarResourceMatches()
    {
        Assert.Equal(Verdict.Allowed, VerdictOf(Statement("Allow", "ec2:DescribeImages", "*"), DescribeImages));
        Assert.Equal(Verdict.ImplicitDeny, VerdictOf(Statement("Allow", "ec2:DescribeImages", "arn:aws:ec2:*:*:*"), DescribeImages));
        Assert.Equal(Verdict.ImplicitDeny, VerdictOf(Statement("Allow", "ec2:DescribeImages", "arn:*:*:*:*:*"), DescribeImages));
    }

    [Fact]
    public void Evaluate_WhenAStarResourceMeetsAnArn_Matches()
    {
        Assert.Equal(Verdict.Allowed, VerdictOf(Statement("Allow", "kms:CreateGrant", "*"), Request("kms:CreateGrant", Key, "key")));
    }

    [Fact]
    public void Evaluate_WhenConditionKeyCaseDiffers_StillFindsTheKey()
    {
        var statements = Statement("Allow", "ec2:CreateImage", "*", """{"StringEquals": {"AWS:REQUESTTAG/AMI-ROTATOR:MANAGED": "true"}}""");

        Assert.Equal(Verdict.Allowed, VerdictOf(statements, Request("ec2:CreateImage", Image, "image", (ManagedTag, ["true"]))));
        Assert.Equal(Verdict.Allowed, VerdictOf(statements, Request("ec2:CreateImage", Image, "image", ("aws:requesttag/ami-rotator:managed", ["true"]))));
    }

    [Fact]
    public void Evaluate_WhenStringEqualsValueCaseDiffers_DoesNotMatch()
    {
        var statements = Statement("Allow", "ec2:CreateImage", "*", """{"StringEquals": {"aws:RequestTag/ami-rotator:managed": "true"}}""");

        Assert.Equal(Verdict.Allowed, VerdictOf(statements, Request("ec2:CreateImage", Image, "image", (ManagedTag, ["true"]))));
        Assert.Equal(Verdict.ImplicitDeny, VerdictOf(statements, Request("ec2:CreateImage", Image, "image", (ManagedTag, ["True"]))));
        Assert.Equal(Verdict.ImplicitDeny, VerdictOf(statements, Request("ec2:CreateImage", Image, "image")));
    }

    [Fact]
    public void Evaluate_WhenSeveralKeysAndBlocks_RequiresAllOfThem()
    {
        var statements = Statement("Allow", "ec2:CreateTags", "*", """
            {"StringEquals": {"ec2:CreateAction": ["CreateImage", "CopyImage"], "aws:RequestTag/ami-rotator:managed": "true"},
             "ForAllValues:StringLike": {"aws:TagKeys": ["ami-rotator:*", "Name"]}}
            """);
        AuthorizationRequest Tagging(string createAction, string managed, params string[] tagKeys) =>
            Request("ec2:CreateTags", Image, "image", ("ec2:CreateAction", [createAction]), (ManagedTag, [managed]), ("aws:TagKeys", tagKeys));

        Assert.Equal(Verdict.Allowed, VerdictOf(statements, Tagging("CopyImage", "true", "ami-rotator:managed", "Name")));
        Assert.Equal(Verdict.ImplicitDeny, VerdictOf(statements, Tagging("RunInstances", "true", "ami-rotator:managed")));
        Assert.Equal(Verdict.ImplicitDeny, VerdictOf(statements, Tagging("CreateImage", "false", "ami-rotator:managed")));
        Assert.Equal(Verdict.ImplicitDeny, VerdictOf(statements, Tagging("CreateImage", "true", "ami-rotator:managed", "Owner")));
    }

    [Fact]
    public void Evaluate_WhenTheSameStatementsAreBuiltDirectly_AgreesWithParse()
    {
        var direct = new[] { Direct("Allow", "ec2:CreateImage", "arn:aws:ec2:*::image/*", new IamCondition("StringEquals", ManagedTag, ["true"])) };
        var request = Request("ec2:CreateImage", Image, "image", (ManagedTag, ["true"]));

        var evaluation = Evaluate(direct, request);

        Assert.Equal(Verdict.Allowed, evaluation.Verdict);
        Assert.Equal(["#0"], evaluation.AllowedBy);
    }

    [Theory]
    [InlineData("ec2:CreateImagee")]
    [InlineData("ec2:Describe*")]
    [InlineData("logs:PutLogEvents")]
    [InlineData("ec2:StartInstances")]
    public void Evaluate_WhenTheActionIsUnknownOrHasNoData_Throws(string action)
    {
        Assert.Throws<ArgumentException>(() => VerdictOf(Statement("Allow", "*", "*"), Request(action, "*", null)));
    }

    [Theory]
    [InlineData("ec2:DeregisterImage", IamScenario.Snapshot, "snapshot")]
    [InlineData("ec2:DeregisterImage", "*", null)]
    [InlineData("ec2:DescribeImages", IamScenario.Image, "image")]
    [InlineData("ec2:CreateImage", IamScenario.Snapshot, "image")]
    public void Evaluate_WhenTheResourceTypeDoesNotFitTheAction_Throws(string action, string resource, string? resourceType)
    {
        Assert.Throws<ArgumentException>(() => VerdictOf(Statement("Allow", "*", "*"), Request(action, resource, resourceType)));
    }

    [Fact]
    public void Evaluate_WhenAStatementHasAnUnknownOperator_Throws()
    {
        var statements = new[] { Direct("Allow", "ec2:DescribeSnapshots", "*", new IamCondition("StringEqualsAny", "ec2:Owner", ["amazon"])) };

        Assert.Throws<InvalidDataException>(() => VerdictOf(statements, DescribeImages));
    }

    [Fact]
    public void Evaluate_WhenAStatementHoldsAPolicyVariable_Throws()
    {
        var statements = new[] { Direct("Allow", "ec2:DeregisterImage", "arn:aws:ec2:${AWS::Region}::image/*") };

        Assert.Throws<InvalidDataException>(() => VerdictOf(statements, DeregisterImage));
    }

    [Theory]
    [InlineData("StringEquals", "aws:CalledVia")]
    [InlineData("StringLikeIfExists", "aws:CalledVia")]
    [InlineData("StringNotEquals", "aws:TagKeys")]
    [InlineData("StringEquals", "kms:GrantOperations")]
    public void Evaluate_WhenASingleValuedOperatorTestsAMultivaluedKey_ThrowsEvenIfTheKeyIsAbsent(string op, string key)
    {
        var statements = new[] { Direct("Allow", "ec2:DescribeSnapshots", "*", new IamCondition(op, key, ["x"])) };

        var e = Assert.Throws<InvalidOperationException>(() => VerdictOf(statements, DescribeImages));
        Assert.Contains("ForAnyValue", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_WhenNullTestsAMultivaluedKey_IsFine()
    {
        var statements = Statement("Allow", "ec2:DescribeImages", "*", """{"Null": {"aws:CalledVia": "true"}}""");

        Assert.Equal(Verdict.Allowed, VerdictOf(statements, DescribeImages));
        Assert.Equal(Verdict.ImplicitDeny, VerdictOf(statements, Request("ec2:DescribeImages", "*", null, ("aws:CalledVia", ["ec2.amazonaws.com"]))));
    }

    [Fact]
    public void Evaluate_WhenASingleValuedKeyHasSeveralValuesOrNone_Throws()
    {
        Assert.Throws<ArgumentException>(() => VerdictOf([], Request("ec2:DescribeImages", "*", null, ("aws:SourceAccount", ["1", "2"]))));
        Assert.Throws<ArgumentException>(() => VerdictOf([], Request("ec2:DeregisterImage", Image, "image", ("ec2:Owner", []))));
    }

    [Fact]
    public void Evaluate_WhenAMultivaluedKeyHasSeveralValues_AcceptsThem()
    {
        var request = Request("ec2:DescribeImages", "*", null, ("aws:CalledVia", ["cloudformation.amazonaws.com", "ec2-images.amazonaws.com"]));

        Assert.Equal(Verdict.ImplicitDeny, VerdictOf([], request));
    }

    [Fact]
    public void Evaluate_WhenTheContextNamesAKeyTwiceInDifferentCase_Throws()
    {
        var request = new AuthorizationRequest("ec2:DescribeImages", "*", null, new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
        {
            ["aws:SourceAccount"] = ["1"],
            ["AWS:SOURCEACCOUNT"] = ["2"],
        });

        Assert.Throws<ArgumentException>(() => VerdictOf([], request));
    }
}
