using AmiRotator.Retention;
using Xunit;

namespace AmiRotator.Tests.Retention;

/// <summary>The retention policy language: what parses, its canonical text, and how mistakes are reported.</summary>
public sealed class RetentionPolicyTests
{
    [Theory]
    [InlineData("keep-last=3", "keep-last=3")]
    [InlineData("keep-hourly=24", "keep-hourly=24")]
    [InlineData("keep-daily=7", "keep-daily=7")]
    [InlineData("keep-weekly=4", "keep-weekly=4")]
    [InlineData("keep-monthly=12", "keep-monthly=12")]
    [InlineData("keep-yearly=2147483647", "keep-yearly=2147483647")]
    [InlineData("keep-last=unlimited", "keep-last=unlimited")]
    [InlineData("keep-within=1y2m3d4h", "keep-within=1y2m3d4h")]
    [InlineData("keep-within-hourly=2d", "keep-within-hourly=2d")]
    [InlineData("keep-within-daily=7d", "keep-within-daily=7d")]
    [InlineData("keep-within-weekly=1m", "keep-within-weekly=1m")]
    [InlineData("keep-within-monthly=1y", "keep-within-monthly=1y")]
    [InlineData("keep-within-yearly=10y", "keep-within-yearly=10y")]
    [InlineData("keep-within=36h", "keep-within=36h")]
    [InlineData("keep-within=4h3d2m1y", "keep-within=1y2m3d4h")]
    [InlineData("keep-within=0y7d", "keep-within=7d")]
    [InlineData("keep-within=007d", "keep-within=7d")]
    [InlineData("keep-daily=07", "keep-daily=7")]
    [InlineData(" keep-weekly = 4 ,\tkeep-daily=7 ", "keep-daily=7,keep-weekly=4")]
    [InlineData("keep-within-yearly=1y,keep-within=2d,keep-yearly=3,keep-last=1",
        "keep-last=1,keep-yearly=3,keep-within=2d,keep-within-yearly=1y")]
    [InlineData(
        "keep-last=1,keep-hourly=2,keep-daily=3,keep-weekly=4,keep-monthly=5,keep-yearly=unlimited,keep-within=1h," +
        "keep-within-hourly=2h,keep-within-daily=3d,keep-within-weekly=4d,keep-within-monthly=5m,keep-within-yearly=6y",
        "keep-last=1,keep-hourly=2,keep-daily=3,keep-weekly=4,keep-monthly=5,keep-yearly=unlimited,keep-within=1h," +
        "keep-within-hourly=2h,keep-within-daily=3d,keep-within-weekly=4d,keep-within-monthly=5m,keep-within-yearly=6y")]
    public void Parse_WhenValid_PrintsCanonicalTextThatParsesBackEqual(string text, string canonical)
    {
        var policy = RetentionPolicy.Parse(text);

        Assert.Equal(canonical, policy.ToString());
        var reparsed = RetentionPolicy.Parse(policy.ToString());
        Assert.Equal(policy, reparsed);
        Assert.Equal(policy.GetHashCode(), reparsed.GetHashCode());
    }

    [Fact]
    public void Parse_WhenEveryKeyGiven_ExposesEachValue()
    {
        var policy = RetentionPolicy.Parse(
            "keep-last=1,keep-hourly=2,keep-daily=3,keep-weekly=4,keep-monthly=5,keep-yearly=unlimited,keep-within=1y," +
            "keep-within-hourly=2m,keep-within-daily=3d,keep-within-weekly=4h,keep-within-monthly=1y1m,keep-within-yearly=1d1h");

        Assert.Equal(1, policy.Last?.Limit);
        Assert.Equal(2, policy.Hourly?.Limit);
        Assert.Equal(3, policy.Daily?.Limit);
        Assert.Equal(4, policy.Weekly?.Limit);
        Assert.Equal(5, policy.Monthly?.Limit);
        Assert.True(policy.Yearly?.IsUnlimited);
        Assert.Equal(new RetentionDuration(1, 0, 0, 0), policy.Within);
        Assert.Equal(new RetentionDuration(0, 2, 0, 0), policy.WithinHourly);
        Assert.Equal(new RetentionDuration(0, 0, 3, 0), policy.WithinDaily);
        Assert.Equal(new RetentionDuration(0, 0, 0, 4), policy.WithinWeekly);
        Assert.Equal(new RetentionDuration(1, 1, 0, 0), policy.WithinMonthly);
        Assert.Equal(new RetentionDuration(0, 0, 1, 1), policy.WithinYearly);
    }

    [Fact]
    public void Parse_WhenOnlySomeKeysGiven_LeavesTheOthersUnset()
    {
        var policy = RetentionPolicy.Parse("keep-daily=7");

        Assert.Null(policy.Last);
        Assert.Null(policy.Weekly);
        Assert.Null(policy.Within);
        Assert.Null(policy.WithinDaily);
    }

    [Fact]
    public void Equals_WhenPoliciesDiffer_IsFalse() =>
        Assert.NotEqual(RetentionPolicy.Parse("keep-daily=7"), RetentionPolicy.Parse("keep-daily=8"));

    [Theory]
    [InlineData("", "is empty", "comma-separated key=value")]
    [InlineData("   ", "is empty", "comma-separated key=value")]
    [InlineData("keep-daily=7,", "item 2 is empty", "separated by single commas")]
    [InlineData(",keep-daily=7", "item 1 is empty", "separated by single commas")]
    [InlineData("keep-daily=7,,keep-weekly=4", "item 2 is empty", "separated by single commas")]
    [InlineData("keep-daily", "item 'keep-daily' has no '='", "accepted: key=value")]
    [InlineData("keep-daily 7", "item 'keep-daily 7' has no '='", "accepted: key=value")]
    [InlineData("keep-dayly=7", "unknown key 'keep-dayly'", "accepted keys: keep-last, keep-hourly, keep-daily, keep-weekly, keep-monthly, keep-yearly, keep-within, keep-within-hourly, keep-within-daily, keep-within-weekly, keep-within-monthly, keep-within-yearly")]
    [InlineData("KEEP-DAILY=7", "unknown key 'KEEP-DAILY'", "accepted keys: keep-last,")]
    [InlineData("=7", "unknown key ''", "accepted keys: keep-last,")]
    [InlineData("keep-daily=7,keep-daily=8", "key 'keep-daily' appears more than once", "each key at most once")]
    [InlineData("keep-within=1d, keep-within = 2d", "key 'keep-within' appears more than once", "each key at most once")]
    [InlineData("keep-last=0", "keep-last value '0' is zero", "from 1 to 2147483647, or 'unlimited'")]
    [InlineData("keep-last=-1", "keep-last value '-1' is negative", "from 1 to 2147483647, or 'unlimited'")]
    [InlineData("keep-last=three", "keep-last value 'three' is not a count", "from 1 to 2147483647, or 'unlimited'")]
    [InlineData("keep-last=", "keep-last value '' is not a count", "from 1 to 2147483647, or 'unlimited'")]
    [InlineData("keep-last=+3", "keep-last value '+3' is not a count", "or 'unlimited'")]
    [InlineData("keep-last=1.5", "keep-last value '1.5' is not a count", "or 'unlimited'")]
    [InlineData("keep-last=Unlimited", "keep-last value 'Unlimited' is not a count", "or 'unlimited'")]
    [InlineData("keep-last=3=4", "keep-last value '3=4' is not a count", "or 'unlimited'")]
    [InlineData("keep-last=2147483648", "keep-last value '2147483648' is too large", "from 1 to 2147483647")]
    [InlineData("keep-daily=99999999999999999999", "keep-daily value '99999999999999999999' is too large", "from 1 to 2147483647")]
    [InlineData("keep-within=3w", "keep-within value '3w' is not a valid duration (unknown unit 'w' after 3)", "units y, m, d, h")]
    [InlineData("keep-within=1x", "(unknown unit 'x' after 1)", "such as '1y2m3d4h'")]
    [InlineData("keep-within=d", "(expected a number at 'd')", "<number><unit>")]
    [InlineData("keep-within=", "keep-within value '' is not a valid duration (it is empty)", "<number><unit>")]
    [InlineData("keep-within=7", "(number 7 has no unit)", "<number><unit>")]
    [InlineData("keep-within=1d2", "(number 2 has no unit)", "<number><unit>")]
    [InlineData("keep-within=-1d", "(expected a number at '-1d')", "<number><unit>")]
    [InlineData("keep-within=1d 2h", "(expected a number at ' 2h')", "<number><unit>")]
    [InlineData("keep-within=0d", "keep-within value '0d' is not a valid duration (it is zero)", "more than zero")]
    [InlineData("keep-within=0y0m0d0h", "(it is zero)", "adding up to more than zero")]
    [InlineData("keep-within=1d1d", "(unit 'd' appears more than once)", "each at most once")]
    [InlineData("keep-within=1D", "(unknown unit 'D' after 1)", "units y, m, d, h")]
    [InlineData("keep-within-weekly=99999999999d", "(number '99999999999' is too large (at most 2147483647))", "<number><unit>")]
    [InlineData("keep-within=unlimited", "(expected a number at 'unlimited')", "<number><unit>")]
    public void Parse_WhenInvalid_ThrowsSayingWhatIsWrongAndWhatIsAccepted(string text, string problem, string accepted)
    {
        var error = Assert.Throws<RetentionPolicyException>(() => RetentionPolicy.Parse(text));

        Assert.StartsWith($"retention policy '{text}': ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Contains(accepted, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_WhenInvalid_ReturnsFalseWithTheSameMessageAsParse()
    {
        var parsed = RetentionPolicy.TryParse("keep-dayly=7", out var policy, out var error);

        Assert.False(parsed);
        Assert.Null(policy);
        Assert.Equal(Assert.Throws<RetentionPolicyException>(() => RetentionPolicy.Parse("keep-dayly=7")).Message, error);
    }

    [Fact]
    public void TryParse_WhenValid_ReturnsPolicyAndNoError()
    {
        var parsed = RetentionPolicy.TryParse("keep-daily=7", out var policy, out var error);

        Assert.True(parsed);
        Assert.Equal("keep-daily=7", policy?.ToString());
        Assert.Null(error);
    }

    [Fact]
    public void TryParse_WhenNull_ReportsEmptyPolicy()
    {
        Assert.False(RetentionPolicy.TryParse(null, out _, out var error));
        Assert.Contains("is empty", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 2, 3, 3, "1y2m3d3h")]
    [InlineData(0, 0, 0, 5, "5h")]
    [InlineData(2, 0, 1, 0, "2y1d")]
    public void RetentionDuration_ToString_WritesResticForm(int years, int months, int days, int hours, string expected) =>
        Assert.Equal(expected, new RetentionDuration(years, months, days, hours).ToString());

    [Fact]
    public void RetentionDuration_WhenZeroOrNegative_IsRejected()
    {
        Assert.Throws<ArgumentException>(() => new RetentionDuration(0, 0, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetentionDuration(0, -1, 2, 0));
    }

    [Fact]
    public void RetentionCount_WhenNotPositive_IsRejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RetentionCount.Of(0));
}
