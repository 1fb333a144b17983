using FsCheck.Xunit;
using Xunit;

namespace AmiRotator.Tests.Iam;

public sealed class WildcardTests
{
    [Theory]
    [InlineData("*", "", true)]
    [InlineData("*", "anything:at/all", true)]
    [InlineData("ec2:Describe*", "ec2:DescribeImages", true)]
    [InlineData("ec2:Describe*", "ec2:Describe", true)]
    [InlineData("ec2:Describe*", "ec2:CreateImage", false)]
    [InlineData("ec2:*Image", "ec2:CopyImage", true)]
    [InlineData("ec2:*Image", "ec2:CopyImages", false)]
    [InlineData("ec2:?opyImage", "ec2:CopyImage", true)]
    [InlineData("ec2:?opyImage", "ec2:opyImage", false)]
    [InlineData("a*b*c", "aXXbYYc", true)]
    [InlineData("a*b*c", "aXXbYY", false)]
    [InlineData("a*bc", "abcbc", true)]
    [InlineData("**", "x", true)]
    [InlineData("a?", "a", false)]
    [InlineData("abc", "abcd", false)]
    public void IsMatch_WhenGlobbing_MatchesStarAndQuestionMark(string pattern, string text, bool expected)
    {
        Assert.Equal(expected, Wildcard.IsMatch(pattern, text, ignoreCase: false));
    }

    [Fact]
    public void IsMatch_WhenCaseDiffers_DependsOnTheFlag()
    {
        Assert.True(Wildcard.IsMatch("EC2:describe*", "ec2:DescribeImages", ignoreCase: true));
        Assert.False(Wildcard.IsMatch("EC2:describe*", "ec2:DescribeImages", ignoreCase: false));
    }

    [Fact]
    public void IsMatch_WhenTextHasAStar_TreatsItAsAnOrdinaryCharacterThere()
    {
        Assert.True(Wildcard.IsMatch("a*", "a*", ignoreCase: false));
        Assert.False(Wildcard.IsMatch("a?", "a", ignoreCase: false));
        Assert.False(Wildcard.IsMatch("ab", "a*", ignoreCase: false));
    }

    [Property]
    public void IsMatch_ForAnyTextWithoutWildcards_MatchesItselfAndEveryPrefixStar(string text, int cut)
    {
        text = (text ?? "").Replace("*", "", StringComparison.Ordinal).Replace("?", "", StringComparison.Ordinal);
        var prefix = text[..(Math.Abs(cut % (text.Length + 1)))];

        Assert.True(Wildcard.IsMatch(text, text, ignoreCase: false));
        Assert.True(Wildcard.IsMatch(prefix + "*", text, ignoreCase: false));
        Assert.True(Wildcard.IsMatch("*", text, ignoreCase: false));
        Assert.False(Wildcard.IsMatch(text + "?", text, ignoreCase: false));
    }

    [Theory]
    [InlineData("arn:aws:ec2:*::image/*", IamScenario.Image, true)]
    [InlineData("arn:aws:ec2:*::image/*", IamScenario.Snapshot, false)]
    [InlineData("arn:aws:ec2:us-west-?::image/ami-*", IamScenario.Image, true)]
    [InlineData("arn:aws:ec2:us-east-?::image/ami-*", IamScenario.Image, false)]
    [InlineData("arn:aws:ec2:*:*:*", IamScenario.Image, true)]
    [InlineData("arn:*:*:*:*:*", IamScenario.Key, true)]
    [InlineData("arn:aws:ec2:*:123456789012:instance/*", IamScenario.Instance, true)]
    [InlineData("arn:aws:ec2:*:210987654321:instance/*", IamScenario.Instance, false)]
    [InlineData("arn:aws:ec2:us-west-2::image/AMI-*", IamScenario.Image, false)]
    [InlineData("arn:aws:EC2:us-west-2::image/ami-*", IamScenario.Image, false)]
    [InlineData("arn:aws:ssm:*:*:parameter/golden/*", IamScenario.Parameter, true)]
    [InlineData("arn:aws:ssm:*:*:parameter/*", "arn:aws:ssm:us-west-2:123456789012:parameter/a:b/c", true)]
    [InlineData("arn:aws:ec2:*", IamScenario.Image, false)]
    [InlineData("*", IamScenario.Image, false)]
    [InlineData(IamScenario.Image, "not-an-arn", false)]
    public void IsLike_WhenMatchingArns_MatchesEachPartOnItsOwnAndCaseSensitively(string pattern, string arn, bool expected)
    {
        Assert.Equal(expected, Arn.IsLike(pattern, arn));
    }

    [Fact]
    public void IsLike_WhenAStarCouldSpanAColon_DoesNot()
    {
        const string pattern = "arn:aws:ec2:*:123456789012:instance/*";
        const string otherAccount = "arn:aws:ec2:us-west-2:999999999999:123456789012:instance/i-1";

        Assert.True(Wildcard.IsMatch(pattern, otherAccount, ignoreCase: false));
        Assert.False(Arn.IsLike(pattern, otherAccount));
    }

    [Fact]
    public void Split_WhenTheResourcePartHasColons_KeepsThemInTheSixthPart()
    {
        Assert.Equal(["arn", "aws", "logs", "us-west-2", "123456789012", "log-group:/aws/lambda/f:*"], Arn.Split("arn:aws:logs:us-west-2:123456789012:log-group:/aws/lambda/f:*")!);
        Assert.Null(Arn.Split("arn:aws:ec2:us-west-2"));
        Assert.Null(Arn.Split("urn:aws:ec2:us-west-2:1:x"));
    }
}
