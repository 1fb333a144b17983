using System.Globalization;
using AmiRotator.Retention;
using NodaTime;
using Xunit;

namespace AmiRotator.Tests.Retention;

/// <summary>
/// Retention's edges that mutation testing found unguarded: calendar buckets that must tell years (and months) apart,
/// windows that reach back exactly to the start of the calendar, the reasons each windowed rule gives, and the
/// arguments refused up front.
/// </summary>
public sealed class RetentionMutationTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 3, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("keep-hourly=5", "2026-01-01T03:00:00Z", "2025-01-01T03:00:00Z", "2024-06-01T00:00:00Z")]
    [InlineData("keep-hourly=5", "2026-02-01T03:00:00Z", "2026-01-01T03:00:00Z", "2025-12-01T00:00:00Z")]
    [InlineData("keep-daily=5", "2026-03-15T03:00:00Z", "2025-03-15T03:00:00Z", "2024-06-01T00:00:00Z")]
    [InlineData("keep-weekly=5", "2026-03-04T03:00:00Z", "2025-03-05T03:00:00Z", "2024-06-01T00:00:00Z")]
    [InlineData("keep-monthly=5", "2026-03-15T03:00:00Z", "2025-03-15T03:00:00Z", "2024-06-01T00:00:00Z")]
    public void Apply_WhenBackupsShareAnHourDayWeekOrMonthOfDifferentYears_PutsThemInBucketsOfTheirOwn(string policy, string newest, string middle, string oldest)
    {
        // The same hour (day, ISO week, month) a year or a month apart is a bucket of its own: each backup opens one.
        var decisions = RetentionEngine.Apply([Backup("newest", newest), Backup("middle", middle), Backup("oldest", oldest)], RetentionPolicy.Parse(policy), DateTimeZone.Utc);

        var rule = policy[5..policy.IndexOf('=', StringComparison.Ordinal)];
        Assert.Equal([$"newest: {rule}", $"middle: {rule}", $"oldest: {rule}"], Lines(decisions));
    }

    [Fact]
    public void Apply_WhenEveryBackupIsInTheYearOne_TheNewestStillOpensTheFirstYearlyBucket()
    {
        var decisions = RetentionEngine.Apply([Backup("march", "0001-03-01T00:00:00Z"), Backup("june", "0001-06-01T00:00:00Z")], RetentionPolicy.Parse("keep-yearly=3"), DateTimeZone.Utc);

        Assert.Equal(["june: yearly", "march: oldest yearly"], Lines(decisions));
    }

    [Fact]
    public void Apply_WhenEachWindowedRuleKeepsABackup_NamesTheRuleAndItsWindow()
    {
        var policy = RetentionPolicy.Parse("keep-within-hourly=2d,keep-within-daily=7d,keep-within-weekly=1m,keep-within-monthly=1y,keep-within-yearly=10y");

        var decision = Assert.Single(RetentionEngine.Apply([Backup("only", "2026-11-26T03:00:00Z")], policy, DateTimeZone.Utc));

        Assert.Equal(["hourly within 2d", "daily within 7d", "weekly within 1m", "monthly within 1y", "yearly within 10y"], decision.Reasons);
    }

    [Fact]
    public void Apply_WhenAnArgumentIsNull_RefusesItByName()
    {
        var policy = RetentionPolicy.Parse("keep-last=1");

        Assert.Equal("backups", Assert.Throws<ArgumentNullException>(() => RetentionEngine.Apply(null!, policy, DateTimeZone.Utc)).ParamName);
        Assert.Equal("policy", Assert.Throws<ArgumentNullException>(() => RetentionEngine.Apply([], null!, DateTimeZone.Utc)).ParamName);
        Assert.Equal("zone", Assert.Throws<ArgumentNullException>(() => RetentionEngine.Apply([], policy, null!)).ParamName);
    }

    [Theory]
    [InlineData(1, 0, 0, "0002-01-01T05:00:00Z", "0001-01-01T05:00:00Z")]
    [InlineData(0, 12, 0, "0002-01-01T05:00:00Z", "0001-01-01T05:00:00Z")]
    [InlineData(0, 0, 1, "0001-01-02T05:00:00Z", "0001-01-01T05:00:00Z")]
    [InlineData(0, 0, 0, "0001-01-01T01:00:00Z", "0001-01-01T00:00:00Z")]
    public void StartBefore_WhenTheWindowReachesBackExactlyToTheFirstDayOfTheCalendar_OpensThere(int years, int months, int days, string newest, string start)
    {
        var window = new RetentionDuration(years, months, days, hours: years + months + days == 0 ? 1 : 0);

        Assert.Equal(At(start), window.StartBefore(At(newest), DateTimeZone.Utc));
    }

    [Theory]
    [InlineData(1, 0, 0, "0001-12-31T23:59:59Z")]
    [InlineData(0, 0, 1, "0001-01-01T23:59:59Z")]
    [InlineData(0, 0, 0, "0001-01-01T00:59:59Z")]
    public void StartBefore_WhenTheWindowReachesBackPastTheCalendar_CoversEverything(int years, int months, int days, string newest)
    {
        var window = new RetentionDuration(years, months, days, hours: years + months + days == 0 ? 1 : 0);

        Assert.Null(window.StartBefore(At(newest), DateTimeZone.Utc));
    }

    [Fact]
    public void StartBefore_WhenTheZoneIsNull_RefusesIt_EvenForAnHoursOnlyWindow()
    {
        Assert.Equal("zone", Assert.Throws<ArgumentNullException>(() => new RetentionDuration(0, 0, 0, 1).StartBefore(Now, null!)).ParamName);
    }

    [Theory]
    [InlineData(-1, 0, 0, 1, "years")]
    [InlineData(0, -1, 0, 1, "months")]
    [InlineData(0, 0, -1, 1, "days")]
    [InlineData(1, 0, 0, -1, "hours")]
    public void RetentionDuration_WhenAPartIsNegative_RefusesItByName(int years, int months, int days, int hours, string part)
    {
        Assert.Equal(part, Assert.Throws<ArgumentOutOfRangeException>(() => new RetentionDuration(years, months, days, hours)).ParamName);
    }

    [Fact]
    public void RetentionDuration_WhenZero_RefusesIt_SayingWhy()
    {
        var error = Assert.Throws<ArgumentException>(() => new RetentionDuration(0, 0, 0, 0));

        Assert.StartsWith("A retention window must be longer than zero.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RetentionCount_WhenNotPositive_RefusesIt_SayingWhy()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => RetentionCount.Of(0));

        Assert.StartsWith("A retention count must be positive.", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("keep-daily=-", "keep-daily value '-' is not a count")]
    [InlineData("keep-daily=-1x", "keep-daily value '-1x' is not a count")]
    [InlineData("keep-daily=-12", "keep-daily value '-12' is negative")]
    public void TryParse_WhenACountStartsWithAMinus_CallsItNegativeOnlyWhenTheRestIsANumber(string text, string problem)
    {
        Assert.False(RetentionPolicy.TryParse(text, out _, out var error));
        Assert.Contains(problem, error, StringComparison.Ordinal);
    }

    private static BackupPoint Backup(string id, string time) => new(id, At(time));

    private static DateTimeOffset At(string time) => DateTimeOffset.Parse(time, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);

    private static IEnumerable<string> Lines(IReadOnlyList<RetentionDecision> decisions) =>
        decisions.Select(d => $"{d.Id}: {string.Join(", ", d.Reasons)}");
}
