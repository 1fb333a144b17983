using Xunit;

namespace AmiRotator.Tests.Iam;

/// <summary>
/// The truth table of each operator on one key. Values are written "a|b"; a null context means the key is absent
/// and "[]" that it is present with no values.
/// </summary>
public sealed class ConditionOperatorTests
{
    private static bool Holds(string op, string policy, string? context) =>
        ConditionOperator.Parse(op).Holds(Values(context), policy.Split('|'));

    private static string[]? Values(string? text) => text switch
    {
        null => null,
        "[]" => [],
        _ => text.Split('|'),
    };

    [Theory]
    [InlineData("StringEquals", "true", "true", true)]
    [InlineData("StringEquals", "true", "True", false)]
    [InlineData("StringEquals", "a|b", "b", true)]
    [InlineData("StringEquals", "a|b", "c", false)]
    [InlineData("StringEquals", "a", null, false)]
    [InlineData("StringNotEquals", "a", "a", false)]
    [InlineData("StringNotEquals", "a", "A", true)]
    [InlineData("StringNotEquals", "a|b", "b", false)]
    [InlineData("StringNotEquals", "a|b", "c", true)]
    [InlineData("StringNotEquals", "a", null, true)]
    [InlineData("StringEqualsIgnoreCase", "ABC", "abc", true)]
    [InlineData("StringEqualsIgnoreCase", "abc", "abd", false)]
    [InlineData("StringEqualsIgnoreCase", "abc", null, false)]
    [InlineData("StringNotEqualsIgnoreCase", "ABC", "abc", false)]
    [InlineData("StringNotEqualsIgnoreCase", "abc", "abd", true)]
    [InlineData("StringNotEqualsIgnoreCase", "abc", null, true)]
    [InlineData("StringLike", "ami-*", "ami-0123", true)]
    [InlineData("StringLike", "ami-?", "ami-1", true)]
    [InlineData("StringLike", "ami-?", "ami-12", false)]
    [InlineData("StringLike", "AMI-*", "ami-1", false)]
    [InlineData("StringLike", "snap-*|ami-*", "ami-1", true)]
    [InlineData("StringLike", "ami-*", null, false)]
    [InlineData("StringNotLike", "ami-*", "ami-1", false)]
    [InlineData("StringNotLike", "ami-*", "snap-1", true)]
    [InlineData("StringNotLike", "snap-*|ami-*", "ami-1", false)]
    [InlineData("StringNotLike", "ami-*", null, true)]
    public void Holds_WhenStringOperator_FollowsTheUserGuide(string op, string policy, string? context, bool expected)
    {
        Assert.Equal(expected, Holds(op, policy, context));
    }

    [Theory]
    [InlineData("ArnEquals", IamScenario.Instance, IamScenario.Instance, true)]
    [InlineData("ArnEquals", "arn:aws:ec2:*:*:instance/*", IamScenario.Instance, true)]
    [InlineData("ArnEquals", "arn:aws:ec2:*:*:instance/*", IamScenario.Image, false)]
    [InlineData("ArnEquals", "arn:aws:ec2:*:*:instance/*", null, false)]
    [InlineData("ArnLike", "arn:aws:ec2:us-*:*:instance/i-*", IamScenario.Instance, true)]
    [InlineData("ArnLike", "arn:aws:ec2:eu-*:*:instance/i-*", IamScenario.Instance, false)]
    [InlineData("ArnLike", "arn:aws:ec2:*:*:INSTANCE/*", IamScenario.Instance, false)]
    [InlineData("ArnLike", "arn:aws:ec2:*:*:*", "ec2-images.amazonaws.com", false)]
    [InlineData("ArnLike", "arn:aws:ec2:*:*:*", null, false)]
    [InlineData("ArnNotEquals", "arn:aws:ec2:*:*:instance/*", IamScenario.Instance, false)]
    [InlineData("ArnNotEquals", "arn:aws:ec2:*:*:instance/*", IamScenario.Image, true)]
    [InlineData("ArnNotEquals", "arn:aws:ec2:*:*:instance/*", null, true)]
    [InlineData("ArnNotLike", "arn:aws:ec2:*:*:instance/*", IamScenario.Instance, false)]
    [InlineData("ArnNotLike", "arn:aws:ec2:*::image/*|arn:aws:ec2:*:*:instance/*", IamScenario.Image, false)]
    [InlineData("ArnNotLike", "arn:aws:ec2:*:*:instance/*", IamScenario.Key, true)]
    [InlineData("ArnNotLike", "arn:aws:ec2:*:*:instance/*", null, true)]
    public void Holds_WhenArnOperator_MatchesEachArnPartWithWildcards(string op, string policy, string? context, bool expected)
    {
        Assert.Equal(expected, Holds(op, policy, context));
    }

    [Theory]
    [InlineData("Bool", "true", "true", true)]
    [InlineData("Bool", "true", "TRUE", true)]
    [InlineData("Bool", "True", "true", true)]
    [InlineData("Bool", "true", "false", false)]
    [InlineData("Bool", "false", "false", true)]
    [InlineData("Bool", "true", null, false)]
    [InlineData("Null", "true", null, true)]
    [InlineData("Null", "true", "x", false)]
    [InlineData("Null", "false", "x", true)]
    [InlineData("Null", "false", null, false)]
    [InlineData("Null", "FALSE", "x", true)]
    [InlineData("Null", "true", "[]", true)]
    [InlineData("Null", "false", "[]", false)]
    public void Holds_WhenBoolOrNull_ComparesTruthOrPresence(string op, string policy, string? context, bool expected)
    {
        Assert.Equal(expected, Holds(op, policy, context));
    }

    [Theory]
    [InlineData("NumericEquals", "5", "5", true)]
    [InlineData("NumericEquals", "5", "5.0", true)]
    [InlineData("NumericEquals", "5", "6", false)]
    [InlineData("NumericEquals", "5", null, false)]
    [InlineData("NumericNotEquals", "5", "5", false)]
    [InlineData("NumericNotEquals", "5", "6", true)]
    [InlineData("NumericNotEquals", "5", null, true)]
    [InlineData("NumericLessThan", "5", "4", true)]
    [InlineData("NumericLessThan", "5", "5", false)]
    [InlineData("NumericLessThan", "5", null, false)]
    [InlineData("NumericLessThanEquals", "5", "5", true)]
    [InlineData("NumericLessThanEquals", "5", "6", false)]
    [InlineData("NumericLessThanEquals", "5", null, false)]
    [InlineData("NumericGreaterThan", "5", "6", true)]
    [InlineData("NumericGreaterThan", "5", "5", false)]
    [InlineData("NumericGreaterThan", "5", null, false)]
    [InlineData("NumericGreaterThanEquals", "5", "5", true)]
    [InlineData("NumericGreaterThanEquals", "5", "4", false)]
    [InlineData("NumericGreaterThanEquals", "5", null, false)]
    [InlineData("NumericLessThan", "1|10", "5", true)]
    [InlineData("NumericGreaterThan", "10", "9.5", false)]
    public void Holds_WhenNumericOperator_ComparesTheRequestValueToThePolicyValue(string op, string policy, string? context, bool expected)
    {
        Assert.Equal(expected, Holds(op, policy, context));
    }

    [Theory]
    [InlineData("StringEqualsIfExists", "a", null, true)]
    [InlineData("StringEqualsIfExists", "a", "a", true)]
    [InlineData("StringEqualsIfExists", "a", "b", false)]
    [InlineData("StringNotEqualsIfExists", "a", "a", false)]
    [InlineData("StringLikeIfExists", "a*", null, true)]
    [InlineData("ArnLikeIfExists", "arn:aws:ec2:*:*:*", null, true)]
    [InlineData("ArnLikeIfExists", "arn:aws:ec2:*:*:*", IamScenario.Key, false)]
    [InlineData("BoolIfExists", "true", null, true)]
    [InlineData("BoolIfExists", "true", "false", false)]
    [InlineData("NumericLessThanIfExists", "5", null, true)]
    [InlineData("NumericLessThanIfExists", "5", "7", false)]
    public void Holds_WhenIfExists_PassesAnAbsentKeyAndOtherwiseActsAsTheBase(string op, string policy, string? context, bool expected)
    {
        Assert.Equal(expected, Holds(op, policy, context));
    }

    [Theory]
    [InlineData("ForAnyValue:StringEquals", "b|c", "a|b", true)]
    [InlineData("ForAnyValue:StringEquals", "c", "a|b", false)]
    [InlineData("ForAnyValue:StringEquals", "a", null, false)]
    [InlineData("ForAnyValue:StringEquals", "a", "[]", false)]
    [InlineData("ForAnyValue:StringEqualsIfExists", "a", null, true)]
    [InlineData("ForAnyValue:StringNotEquals", "a", "a|b", true)]
    [InlineData("ForAnyValue:StringNotEquals", "a", "a", false)]
    [InlineData("ForAnyValue:StringNotEquals", "a", null, false)]
    [InlineData("ForAnyValue:StringLike", "ec2*", "lambda.amazonaws.com|ec2-images.amazonaws.com", true)]
    [InlineData("ForAllValues:StringEquals", "a|b|c", "a|b", true)]
    [InlineData("ForAllValues:StringEquals", "a|b|c", "a|d", false)]
    [InlineData("ForAllValues:StringEquals", "a", null, true)]
    [InlineData("ForAllValues:StringEquals", "a", "[]", true)]
    [InlineData("ForAllValues:StringNotEquals", "a", "x|y", true)]
    [InlineData("ForAllValues:StringNotEquals", "a", "x|a", false)]
    [InlineData("ForAllValues:StringNotEquals", "a", null, true)]
    [InlineData("ForAllValues:StringLike", "ami-rotator:*", "ami-rotator:managed|ami-rotator:tier", true)]
    [InlineData("ForAllValues:StringLike", "ami-rotator:*", "ami-rotator:managed|Name", false)]
    [InlineData("ForAllValues:NumericLessThan", "10", "1|9", true)]
    [InlineData("ForAllValues:NumericLessThan", "10", "1|10", false)]
    public void Holds_WhenSetOperator_QuantifiesOverTheRequestValues(string op, string policy, string? context, bool expected)
    {
        Assert.Equal(expected, Holds(op, policy, context));
    }

    [Fact]
    public void Holds_WhenNullHasASetPrefix_StillTestsPresence()
    {
        Assert.True(Holds("ForAllValues:Null", "false", "a|b"));
        Assert.False(Holds("ForAnyValue:Null", "true", "a"));
    }

    [Fact]
    public void Holds_WhenSingleValuedOperatorMeetsSeveralValues_Throws()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Holds("StringEquals", "a", "a|b"));
        Assert.Contains("ForAnyValue", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Bool", "true", "yes")]
    [InlineData("NumericEquals", "5", "five")]
    public void Holds_WhenTheRequestValueIsNotOfTheOperatorsType_Throws(string op, string policy, string context)
    {
        Assert.Throws<FormatException>(() => Holds(op, policy, context));
    }

    [Theory]
    [InlineData("StringEqualz")]
    [InlineData("stringequals")]
    [InlineData("NullIfExists")]
    [InlineData("DateLessThan")]
    [InlineData("IpAddress")]
    [InlineData("ForAnyValues:StringEquals")]
    [InlineData("ForAnyValue:")]
    [InlineData("ForAnyValue:ForAllValues:StringEquals")]
    [InlineData("forallvalues:StringEquals")]
    [InlineData("None:StringEquals")]
    [InlineData("IfExists")]
    [InlineData("")]
    public void Parse_WhenOperatorIsUnknown_Throws(string op)
    {
        var e = Assert.Throws<InvalidDataException>(() => ConditionOperator.Parse(op));
        Assert.Contains("Unknown condition operator", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenPrefixedAndSuffixed_SplitsTheName()
    {
        var op = ConditionOperator.Parse("ForAllValues:StringNotLikeIfExists");

        Assert.Equal(SetOperator.ForAllValues, op.Set);
        Assert.Equal("StringNotLike", op.Base);
        Assert.True(op.IfExists);
        Assert.True(op.IsNegated);
    }
}
