using Xunit;

namespace AmiRotator.Tests.Deployment;

/// <summary>
/// Least privilege for the function's role: it may create only images it tags as managed, and may change or
/// delete only images and snapshots that already carry <c>ami-rotator:managed=true</c>.
/// </summary>
public sealed class IamPolicyTests
{
    private const string ManagedRequestTag = "aws:RequestTag/ami-rotator:managed";
    private const string ManagedResourceTag = "ec2:ResourceTag/ami-rotator:managed";

    private static readonly string[] DescribeActions =
    [
        "ec2:DescribeInstances",
        "ec2:DescribeImages",
        "ec2:DescribeSnapshots",
        "ec2:DescribeImageReferences",
        "ec2:DescribeLaunchTemplates",
        "ec2:DescribeLaunchTemplateVersions",
    ];

    private static IReadOnlyList<PolicyStatement> Statements => SamTemplate.Current.FunctionStatements();

    private static IEnumerable<PolicyStatement> Allows => Statements.Where(s => s.Effect == "Allow");

    [Fact]
    public void Policies_WhenListed_AreInlineStatementsOnly()
    {
        Assert.All(SamTemplate.List(SamTemplate.Current.FunctionProperties, "Policies"), p => Assert.IsType<Dictionary<string, object?>>(p));
        Assert.NotEmpty(Statements);
    }

    [Fact]
    public void Actions_WhenGranted_AreNeverServiceWildcards()
    {
        var actions = Statements.SelectMany(s => s.Actions).ToList();

        Assert.DoesNotContain("*", actions);
        Assert.DoesNotContain(actions, a => a.EndsWith(":*", StringComparison.Ordinal));
        Assert.DoesNotContain(actions, a => a.StartsWith("ec2:", StringComparison.Ordinal) && a.Contains('*', StringComparison.Ordinal));
    }

    [Fact]
    public void Actions_WhenGranted_NeverIncludeSharingOrAttributeChanges()
    {
        var actions = Allows.SelectMany(s => s.Actions).ToList();

        Assert.DoesNotContain("ec2:ModifyImageAttribute", actions);
        Assert.DoesNotContain("ec2:ModifySnapshotAttribute", actions);
        Assert.DoesNotContain("ec2:DeleteTags", actions);
    }

    [Fact]
    public void Describe_WhenReadingInventory_GrantsExactlyTheNeededReadCalls()
    {
        var read = Allows.Where(s => s.Actions.All(a => a.StartsWith("ec2:Describe", StringComparison.Ordinal))).ToList();

        Assert.Equal(DescribeActions.Order(StringComparer.Ordinal), read.SelectMany(s => s.Actions).Order(StringComparer.Ordinal));
        Assert.All(read, s => Assert.Equal(["*"], s.Resources));
    }

    [Fact]
    public void AllowStatements_WhenNotReadOnly_AreScopedToResources()
    {
        var writes = Allows.Where(s => !s.Actions.All(IsReadOnly));

        Assert.All(writes, s => Assert.DoesNotContain("*", s.Resources));
    }

    [Fact]
    public void ReadsOutsideEc2_WhenGranted_OnlyWorkThroughEc2sImageReferenceCheck()
    {
        var foreign = Allows.Where(s => s.Actions.Any(a => !a.StartsWith("ec2:", StringComparison.Ordinal) && !a.StartsWith("kms:", StringComparison.Ordinal))).ToList();

        Assert.All(foreign, s =>
        {
            Assert.All(s.Actions, a => Assert.True(IsReadOnly(a), $"{a} is not a read action."));
            Assert.True(s.HasCondition("aws:CalledVia", "ec2.amazonaws.com"), $"{s} is usable outside EC2.");
        });
    }

    [Fact]
    public void CreateImage_WhenOnTheInstance_IsAllowedOnInstancesOfThisAccountAndRegion()
    {
        var onInstances = Allows.Where(s => s.Actions.Contains("ec2:CreateImage") && s.Resources.Any(r => r.Contains(":instance/", StringComparison.Ordinal))).ToList();

        var statement = Assert.Single(onInstances);
        Assert.Equal(["arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/*"], statement.Resources);
    }

    [Theory]
    [InlineData("ec2:CreateImage")]
    [InlineData("ec2:CopyImage")]
    public void CreateOrCopy_WhenProducingImagesInTheDestination_RequiresTheManagedRequestTag(string action)
    {
        var producing = Allows
            .Where(s => s.Actions.Contains(action))
            .Where(s => s.Resources.Any(IsImageOrSnapshot))
            .Where(s => !IsCopySource(s))
            .ToList();

        Assert.NotEmpty(producing);
        Assert.All(producing, s =>
        {
            Assert.True(s.HasCondition(ManagedRequestTag, "true"), $"{s} lacks {ManagedRequestTag}=true.");
            Assert.All(s.Resources, r => Assert.True(IsImageOrSnapshot(r), $"{s} mixes in {r}."));
        });
    }

    [Fact]
    public void CopyImage_WhenReadingTheSource_AllowsOnlyManagedImagesOfThisRegion()
    {
        var sources = Allows.Where(s => s.Actions.Contains("ec2:CopyImage") && IsCopySource(s)).ToList();

        var source = Assert.Single(sources);
        Assert.True(source.HasCondition(ManagedResourceTag, "true"));
        Assert.All(source.Resources, r => Assert.StartsWith("arn:${AWS::Partition}:ec2:${AWS::Region}::", r));
    }

    [Fact]
    public void CopyImage_WhenNoDrRegionIsSet_IsNotGranted()
    {
        Assert.All(
            Allows.Where(s => s.Actions.Contains("ec2:CopyImage")),
            s => Assert.Equal("HasDrRegion", s.UnderCondition));
    }

    [Fact]
    public void CreateTags_WhenGranted_OnlyAppliesWhileCreatingOrCopyingManagedImages()
    {
        var tagging = Allows.Where(s => s.Actions.Contains("ec2:CreateTags")).ToList();

        Assert.NotEmpty(tagging);
        Assert.All(tagging, s =>
        {
            Assert.Equal(["ec2:CreateTags"], s.Actions);
            var createAction = s.ConditionEntries.Where(e => e.Key == "ec2:CreateAction").SelectMany(e => e.Values).Order(StringComparer.Ordinal);
            Assert.Equal(["CopyImage", "CreateImage"], createAction);
            Assert.True(s.HasCondition(ManagedRequestTag, "true"));
            Assert.All(s.Resources, r => Assert.True(IsImageOrSnapshot(r)));
        });
    }

    [Theory]
    [InlineData("ec2:DeregisterImage")]
    [InlineData("ec2:DeleteSnapshot")]
    [InlineData("ec2:EnableImageDeprecation")]
    public void DestructiveAction_WhenAllowed_RequiresTheManagedResourceTag(string action)
    {
        var granting = Allows.Where(s => s.Actions.Contains(action)).ToList();

        Assert.NotEmpty(granting);
        Assert.All(granting, s => Assert.True(s.HasCondition(ManagedResourceTag, "true"), $"{s} lacks {ManagedResourceTag}=true."));
    }

    [Fact]
    public void DeregisterImage_WhenTheImageIsPinned_IsExplicitlyDenied()
    {
        var deny = Statements.Where(s => s.Effect == "Deny" && s.Actions.Contains("ec2:DeregisterImage")).ToList();

        var statement = Assert.Single(deny);
        Assert.Null(statement.UnderCondition);
        Assert.True(statement.HasCondition("ec2:ResourceTag/ami-rotator:keep", "true"));
    }

    [Fact]
    public void Kms_WhenGranted_IsOnlyUnderTheDrKmsKeyCondition()
    {
        var kms = Statements.Where(s => s.Actions.Any(a => a.StartsWith("kms:", StringComparison.Ordinal))).ToList();

        Assert.NotEmpty(kms);
        Assert.All(kms, s => Assert.Equal("HasDrKmsKey", s.UnderCondition));
        Assert.True(SamTemplate.References(SamTemplate.Current.Conditions["HasDrKmsKey"], "DrKmsKeyId"));
    }

    [Fact]
    public void Kms_WhenGranted_CoversWhatEbsNeedsToReEncryptACopy()
    {
        var actions = Statements.Where(s => s.UnderCondition == "HasDrKmsKey").SelectMany(s => s.Actions).ToHashSet(StringComparer.Ordinal);

        Assert.Superset(
            new HashSet<string>(StringComparer.Ordinal) { "kms:CreateGrant", "kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey" },
            actions);
    }

    [Fact]
    public void Kms_WhenCreatingGrants_OnlyForAwsResources()
    {
        var grant = Assert.Single(Statements, s => s.Actions.Contains("kms:CreateGrant"));

        Assert.Equal(["kms:CreateGrant"], grant.Actions);
        Assert.True(grant.HasCondition("kms:GrantIsForAWSResource", "true"));
    }

    [Fact]
    public void Kms_WhenScoped_NamesTheConfiguredKeyInTheDrRegion()
    {
        Assert.All(
            Statements.Where(s => s.UnderCondition == "HasDrKmsKey"),
            s =>
            {
                Assert.Contains("${DrKmsKeyId}", s.Resources);
                Assert.All(
                    s.Resources.Where(r => r.StartsWith("arn:", StringComparison.Ordinal)),
                    r => Assert.StartsWith("arn:${AWS::Partition}:kms:${DrRegion}:${AWS::AccountId}:key/", r));
            });
    }

    private static bool IsReadOnly(string action)
    {
        var name = action[(action.IndexOf(':', StringComparison.Ordinal) + 1)..];
        return name.StartsWith("Describe", StringComparison.Ordinal) || name.StartsWith("Get", StringComparison.Ordinal) || name.StartsWith("List", StringComparison.Ordinal);
    }

    private static bool IsImageOrSnapshot(string resource) =>
        resource.Contains("::image/", StringComparison.Ordinal) || resource.Contains("::snapshot/", StringComparison.Ordinal);

    // CopyImage authorises the source image (in this Region) separately from the new image (in the DR Region).
    private static bool IsCopySource(PolicyStatement statement) =>
        statement.Actions.Contains("ec2:CopyImage") && statement.Resources.All(r => r.Contains(":ec2:${AWS::Region}:", StringComparison.Ordinal));
}
