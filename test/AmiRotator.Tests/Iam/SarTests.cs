using Xunit;

namespace AmiRotator.Tests.Iam;

public sealed class SarTests
{
    private static Sar Sar => Sar.Load();

    [Fact]
    public void Load_WhenCalledTwice_ReadsTheCopyBesideTheTestsOnce()
    {
        Assert.Same(Sar.Load(), Sar.Load());
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "iam", "sar", "actions", "ec2.json")));
    }

    [Theory]
    [InlineData("ec2")]
    [InlineData("kms")]
    [InlineData("ssm")]
    [InlineData("imagebuilder")]
    [InlineData("sqs")]
    public void CoversService_WhenServiceIsInTheData_IsTrue(string service)
    {
        Assert.True(Sar.CoversService(service));
    }

    [Theory]
    [InlineData("logs")]
    [InlineData("s3")]
    [InlineData("")]
    public void CoversService_WhenServiceIsNotInTheData_IsFalse(string service)
    {
        Assert.False(Sar.CoversService(service));
    }

    [Theory]
    [InlineData("ec2:CreateImage", true)]
    [InlineData("EC2:createimage", true)]
    [InlineData("ec2:StartInstances", true)]
    [InlineData("sqs:ReceiveMessage", true)]
    [InlineData("ec2:CreateImagee", false)]
    [InlineData("ec2:Create*", false)]
    [InlineData("ec2:CreateImag?", false)]
    [InlineData("CreateImage", false)]
    [InlineData("logs:PutLogEvents", false)]
    [InlineData("kms:ReEncrypt", false)]
    public void IsAction_WhenAsked_KnowsExactlyTheRealActions(string action, bool expected)
    {
        Assert.Equal(expected, Sar.IsAction(action));
    }

    [Fact]
    public void ActionsMatching_WhenReEncryptStar_IsExactlyTheTwoReEncryptActions()
    {
        Assert.Equal(["kms:ReEncryptFrom", "kms:ReEncryptTo"], Sar.ActionsMatching("kms:ReEncrypt*"));
        Assert.Equal(["kms:ReEncryptFrom", "kms:ReEncryptTo"], Sar.ActionsMatching("KMS:reencrypt*"));
    }

    [Fact]
    public void ActionsMatching_WhenDescribeStar_IsEveryEc2DescribeAction()
    {
        var describes = Sar.ActionsMatching("ec2:Describe*");

        Assert.True(describes.Count > 100, $"only {describes.Count}");
        Assert.All(describes, a => Assert.StartsWith("ec2:Describe", a, StringComparison.Ordinal));
        Assert.Contains("ec2:DescribeImages", describes);
        Assert.Contains("ec2:DescribeImageReferences", describes);
        Assert.DoesNotContain("ec2:CreateImage", describes);
    }

    [Theory]
    [InlineData("logs:*")]
    [InlineData("ec2:NoSuchThing*")]
    [InlineData("ec2:CreateImagee")]
    public void ActionsMatching_WhenNothingInTheDataMatches_IsEmpty(string pattern)
    {
        Assert.Empty(Sar.ActionsMatching(pattern));
    }

    [Fact]
    public void ActionsMatching_WhenExactOrSingleCharacterWildcard_MatchesOnlyThose()
    {
        Assert.Equal(["ec2:CreateImage"], Sar.ActionsMatching("ec2:createimage"));
        Assert.Equal(["ec2:CopyImage"], Sar.ActionsMatching("ec2:?opyImage"));
        Assert.Equal(["ec2:CreateTags"], Sar.ActionsMatching("ec2:CreateTag?"));
    }

    [Fact]
    public void ActionsMatching_WhenStar_IsEveryActionOfEveryService()
    {
        var all = Sar.ActionsMatching("*");

        Assert.Equal(all.Count, all.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Equal(["ec2", "imagebuilder", "kms", "sqs", "ssm"], all.Select(a => a[..a.IndexOf(':', StringComparison.Ordinal)]).Distinct().Order(StringComparer.Ordinal));
        Assert.Contains("sqs:ReceiveMessage", all);
    }

    [Fact]
    public void ResourceTypesOf_WhenAsked_ListsTheRowsWithTheirRequiredFlag()
    {
        Assert.Equal([("image", true), ("snapshot", true)], Sar.ResourceTypesOf("ec2:CopyImage"));
        Assert.Equal([("image", false), ("instance", false), ("snapshot", false)], Sar.ResourceTypesOf("ec2:CreateTags"));
        Assert.Equal([("key", true)], Sar.ResourceTypesOf("kms:CreateGrant"));
        Assert.Empty(Sar.ResourceTypesOf("ec2:DescribeImages"));
    }

    [Theory]
    [InlineData("ec2:CreateImagee")]
    [InlineData("logs:PutLogEvents")]
    [InlineData("ec2:StartInstances")]
    public void ResourceTypesOf_WhenTheActionHasNoEntry_Throws(string action)
    {
        Assert.Throws<ArgumentException>(() => Sar.ResourceTypesOf(action));
    }

    [Theory]
    [InlineData("ec2:CopyImage", "image", "aws:RequestTag/ami-rotator:managed", true)]
    [InlineData("ec2:CopyImage", "image", "aws:TagKeys", true)]
    [InlineData("ec2:CopyImage", "image", "ec2:Owner", true)]
    [InlineData("ec2:CopyImage", "image", "ec2:Region", true)]
    [InlineData("ec2:CopyImage", "image", "ec2:ResourceTag/ami-rotator:managed", false)]
    [InlineData("ec2:CopyImage", "image", "aws:ResourceTag/ami-rotator:managed", false)]
    [InlineData("ec2:CopyImage", "snapshot", "ec2:Owner", false)]
    [InlineData("ec2:DeregisterImage", "image", "ec2:ResourceTag/ami-rotator:managed", true)]
    [InlineData("ec2:DeregisterImage", "image", "aws:RequestTag/ami-rotator:managed", false)]
    [InlineData("ec2:CreateImage", "instance", "ec2:InstanceID", true)]
    [InlineData("ec2:CreateImage", "image", "ec2:InstanceID", false)]
    [InlineData("ec2:CreateTags", "snapshot", "ec2:CreateAction", true)]
    [InlineData("kms:CreateGrant", "key", "kms:GrantIsForAWSResource", true)]
    [InlineData("kms:CreateGrant", "key", "kms:ViaService", true)]
    [InlineData("kms:CreateGrant", "key", "kms:EncryptionContext:aws:ebs:id", true)]
    [InlineData("kms:CreateGrant", "key", "kms:ResourceAliases", true)]
    [InlineData("kms:CreateGrant", "key", "aws:ResourceTag/Backup", true)]
    [InlineData("kms:CreateGrant", "key", "kms:RequestAlias", false)]
    [InlineData("kms:CreateGrant", "key", "aws:RequestTag/Backup", false)]
    [InlineData("ssm:GetParameters", "parameter", "aws:ResourceTag/Backup", true)]
    [InlineData("ssm:GetParameters", "parameter", "ec2:Owner", false)]
    [InlineData("ssm:DescribeParameters", null, "aws:CalledVia", true)]
    [InlineData("ssm:DescribeParameters", null, "aws:ResourceTag/Backup", false)]
    [InlineData("ec2:DescribeImages", null, "aws:SourceArn", true)]
    [InlineData("ec2:DescribeImages", null, "aws:PrincipalAccount", true)]
    [InlineData("ec2:DescribeImages", null, "ec2:Owner", false)]
    public void Supports_WhenAskedForAKey_FollowsTheSarRowsAndGlobalKeys(string action, string? resourceType, string key, bool expected)
    {
        Assert.Equal(expected, Sar.Supports(action, resourceType, key));
    }

    [Theory]
    [InlineData("EC2:OWNER")]
    [InlineData("AWS:requesttag/Anything")]
    [InlineData("aws:calledvia")]
    public void Supports_WhenKeyCaseDiffers_StillMatches(string key)
    {
        Assert.True(Sar.Supports("ec2:CopyImage", "image", key));
    }

    [Theory]
    [InlineData("ec2:CopyImage", "aws:RequestTag/")]
    [InlineData("ec2:DeregisterImage", "ec2:ResourceTag/")]
    [InlineData("kms:CreateGrant", "kms:EncryptionContext:")]
    public void Supports_WhenAPlaceholderIsLeftEmpty_DoesNotMatch(string action, string key)
    {
        Assert.False(Sar.Supports(action, Sar.ResourceTypesOf(action)[0].Name, key));
    }

    [Theory]
    [InlineData("ec2:DeregisterImage", "snapshot")]
    [InlineData("ec2:DeregisterImage", null)]
    [InlineData("ec2:DescribeImages", "image")]
    [InlineData("ec2:CreateImagee", "image")]
    public void Supports_WhenTheResourceTypeDoesNotFitTheAction_Throws(string action, string? resourceType)
    {
        Assert.Throws<ArgumentException>(() => Sar.Supports(action, resourceType, "ec2:Region"));
    }

    [Theory]
    [InlineData("aws:CalledVia", true)]
    [InlineData("AWS:calledvia", true)]
    [InlineData("aws:TagKeys", true)]
    [InlineData("aws:PrincipalServiceNamesList", true)]
    [InlineData("kms:GrantOperations", true)]
    [InlineData("kms:EncryptionContextKeys", true)]
    [InlineData("kms:ResourceAliases", true)]
    [InlineData("aws:ResourceTag/Backup", false)]
    [InlineData("ec2:ResourceTag/Backup", false)]
    [InlineData("ec2:Owner", false)]
    [InlineData("aws:SourceArn", false)]
    [InlineData("kms:ViaService", false)]
    public void IsMultivalued_WhenAsked_FollowsArrayTypesAndTheGlobalList(string key, bool expected)
    {
        Assert.Equal(expected, Sar.IsMultivalued(key));
    }

    [Theory]
    [InlineData("ec2:CopyImage", IamScenario.Image, "image")]
    [InlineData("ec2:CopyImage", IamScenario.Snapshot, "snapshot")]
    [InlineData("ec2:CreateImage", IamScenario.Instance, "instance")]
    [InlineData("kms:CreateGrant", IamScenario.Key, "key")]
    [InlineData("ssm:GetParameters", IamScenario.Parameter, "parameter")]
    [InlineData("sqs:ReceiveMessage", "arn:aws:sqs:us-west-2:123456789012:ami-rotator-events", "queue")]
    [InlineData("ec2:DescribeImages", "*", null)]
    [InlineData("ec2:CreateImage", "arn:aws:ec2:us-west-2::image/*", "image")]
    [InlineData("ec2:CopyImage", "arn:aws:ec2:us-west-2::snapshot/*", "snapshot")]
    public void CheckResource_WhenTheResourceFitsTheAction_Passes(string action, string resource, string? resourceType)
    {
        Sar.CheckResource(action, resource, resourceType);
    }

    [Theory]
    [InlineData("ec2:DeregisterImage", IamScenario.Snapshot, "snapshot")]
    [InlineData("ec2:DeregisterImage", IamScenario.Snapshot, "image")]
    [InlineData("ec2:DeregisterImage", "*", null)]
    [InlineData("ec2:DeregisterImage", "*", "image")]
    [InlineData("ec2:DeregisterImage", "arn:aws:ec2:us-west-2:123456789012:image/ami-1", "image")]
    [InlineData("ec2:DeregisterImage", "arn:aws:ec2:us-west-2::image/ami-*", "image")]
    [InlineData("ec2:CreateImage", "arn:aws:ec2:*::image/*", "image")]
    [InlineData("ec2:CreateImage", "arn:aws:ec2:us-west-2::snapshot/*", "image")]
    [InlineData("ec2:DescribeImages", IamScenario.Image, null)]
    [InlineData("ec2:DescribeImages", "*", "image")]
    [InlineData("kms:CreateGrant", "arn:aws:kms:us-west-2:123456789012:alias/aws/ebs", "key")]
    public void CheckResource_WhenTheResourceDoesNotFit_Throws(string action, string resource, string? resourceType)
    {
        Assert.Throws<ArgumentException>(() => Sar.CheckResource(action, resource, resourceType));
    }
}
