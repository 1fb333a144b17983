using AmiRotator.Retention;
using NodaTime;
using Xunit;

namespace AmiRotator.Tests.Retention;

/// <summary>Worked examples of restic's forget semantics: reasons, the oldest-backup rule, windows and zones.</summary>
public sealed class RetentionEngineTests
{
    private static readonly DateTimeZone NewYork = DateTimeZoneProviders.Tzdb["America/New_York"];

    [Fact]
    public void Apply_WhenNoBackups_ReturnsNoDecisions() =>
        Assert.Empty(RetentionEngine.Apply([], RetentionPolicy.Parse("keep-last=3"), DateTimeZone.Utc));

    [Fact]
    public void Apply_WhenRulesOverlap_ListsEveryMatchingReasonInResticOrder()
    {
        var backups = Enumerable.Range(1, 10).Select(day => Backup($"jan{day}", $"2024-01-{day:00}T12:00:00Z")).ToArray();

        var decisions = RetentionEngine.Apply(
            backups, RetentionPolicy.Parse("keep-within-weekly=1m,keep-daily=3,keep-within=1d,keep-last=2"), DateTimeZone.Utc);

        // 2024-01-01 is a Monday, so ISO week 1 is Jan 1-7 and week 2 starts Jan 8.
        Assert.Equal(
            [
                "jan10: within 1d, last, daily, weekly within 1m",
                "jan9: last, daily",
                "jan8: daily",
                "jan7: weekly within 1m",
                "jan6: ", "jan5: ", "jan4: ", "jan3: ", "jan2: ",
                "jan1: oldest weekly within 1m",
            ],
            decisions.Select(d => $"{d.Id}: {string.Join(", ", d.Reasons)}"));
        Assert.All(decisions, d => Assert.Equal(d.Reasons.Count > 0, d.Keep));
    }

    [Fact]
    public void Apply_WhenCountIsNotUsedUp_AlsoKeepsTheOldestBackup()
    {
        var backups = new[]
        {
            Backup("morning", "2024-05-01T08:00:00Z"),
            Backup("evening", "2024-05-01T20:00:00Z"),
            Backup("noon", "2024-05-01T12:00:00Z"),
        };

        var decisions = RetentionEngine.Apply(backups, RetentionPolicy.Parse("keep-daily=5"), DateTimeZone.Utc);

        Assert.Equal(
            ["evening: daily", "noon: ", "morning: oldest daily"],
            decisions.Select(d => $"{d.Id}: {string.Join(", ", d.Reasons)}"));
    }

    [Fact]
    public void Apply_WhenCountIsUsedUp_RemovesTheOldestBackup()
    {
        var backups = new[] { Backup("new", "2024-05-02T08:00:00Z"), Backup("old", "2024-05-01T08:00:00Z") };

        var decisions = RetentionEngine.Apply(backups, RetentionPolicy.Parse("keep-daily=1"), DateTimeZone.Utc);

        Assert.Equal([true, false], decisions.Select(d => d.Keep));
        Assert.Empty(decisions[1].Reasons);
    }

    [Fact]
    public void Apply_WhenTimesTie_KeepsInputOrderAndTheOriginalOffsets()
    {
        var backups = new[]
        {
            Backup("b", "2024-05-01T10:00:00+02:00"),
            Backup("newest", "2024-05-01T09:00:00Z"),
            Backup("a", "2024-05-01T08:00:00Z"),
            Backup("c", "2024-05-01T04:00:00-04:00"),
        };

        var decisions = RetentionEngine.Apply(backups, RetentionPolicy.Parse("keep-last=2"), DateTimeZone.Utc);

        Assert.Equal(["newest", "b", "a", "c"], decisions.Select(d => d.Id));
        Assert.Equal([true, true, false, false], decisions.Select(d => d.Keep));
        Assert.Equal(TimeSpan.FromHours(2), decisions[1].Time.Offset);
    }

    [Fact]
    public void Apply_WhenWindowStepsBackIntoAShorterMonth_OverflowsLikeGoInsteadOfClamping()
    {
        // Oct 31 minus one month is "Sep 31", which Go (and so restic) reads as Oct 1, not Sep 30.
        var backups = new[]
        {
            Backup("newest", "2014-10-31T12:00:00Z"),
            Backup("inside", "2014-10-01T12:30:00Z"),
            Backup("outside", "2014-10-01T11:30:00Z"),
            Backup("sep30", "2014-09-30T13:00:00Z"),
        };

        var decisions = RetentionEngine.Apply(backups, RetentionPolicy.Parse("keep-within=1m"), DateTimeZone.Utc);

        Assert.Equal(["newest", "inside"], decisions.Where(d => d.Keep).Select(d => d.Id));
        Assert.Equal(["within 1m"], decisions[1].Reasons);
    }

    [Fact]
    public void Apply_WhenBackupIsExactlyAtTheWindowStart_RemovesIt()
    {
        var backups = new[]
        {
            Backup("newest", "2024-06-10T12:00:00Z"),
            Backup("just-inside", "2024-06-08T08:00:00.001Z"),
            Backup("at-start", "2024-06-08T08:00:00Z"),
        };

        var decisions = RetentionEngine.Apply(backups, RetentionPolicy.Parse("keep-within=2d4h"), DateTimeZone.Utc);

        Assert.Equal([true, true, false], decisions.Select(d => d.Keep));
    }

    [Fact]
    public void Apply_WhenBackupsStoppedLongAgo_MeasuresWindowsFromTheNewestBackupNotTheClock()
    {
        var backups = new[]
        {
            Backup("last-good", "2001-03-04T05:00:00Z"),
            Backup("day-before", "2001-03-03T06:00:00Z"),
            Backup("two-days-before", "2001-03-02T05:00:00Z"),
        };

        var decisions = RetentionEngine.Apply(backups, RetentionPolicy.Parse("keep-within=1d"), DateTimeZone.Utc);

        Assert.Equal([true, true, false], decisions.Select(d => d.Keep));
    }

    [Theory]
    [InlineData("keep-within=2147483647y")]
    [InlineData("keep-within=2147483647h")]
    [InlineData("keep-within=2147483647d")]
    [InlineData("keep-within-daily=2147483647m")]
    public void Apply_WhenWindowReachesBeforeTheCalendarStarts_CoversEveryBackup(string policy)
    {
        var backups = new[] { Backup("new", "2024-01-02T00:00:00Z"), Backup("old", "0001-01-01T00:00:00Z") };

        var decisions = RetentionEngine.Apply(backups, RetentionPolicy.Parse(policy), DateTimeZone.Utc);

        Assert.All(decisions, d => Assert.True(d.Keep));
    }

    [Fact]
    public void Apply_WhenZoneIsNewYork_BucketsDaysByNewYorkDate()
    {
        // 02:00Z and 06:00Z share a UTC day but are 21:00 on Mar 4 and 01:00 on Mar 5 in New York (EST, UTC-5).
        var backups = new[]
        {
            Backup("mar5-0600z", "2024-03-05T06:00:00Z"),
            Backup("mar5-0200z", "2024-03-05T02:00:00Z"),
            Backup("mar4-1200z", "2024-03-04T12:00:00Z"),
            Backup("mar1-1200z", "2024-03-01T12:00:00Z"),
        };
        var policy = RetentionPolicy.Parse("keep-daily=10");

        var newYork = RetentionEngine.Apply(backups, policy, NewYork);
        var utc = RetentionEngine.Apply(backups, policy, DateTimeZone.Utc);

        Assert.Equal(["mar5-0600z", "mar5-0200z", "mar1-1200z"], newYork.Where(d => d.Keep).Select(d => d.Id));
        Assert.Equal(["mar5-0600z", "mar4-1200z", "mar1-1200z"], utc.Where(d => d.Keep).Select(d => d.Id));
    }

    [Fact]
    public void Apply_WhenWindowSpansADstStart_StepsBackOneWallClockDay()
    {
        // New York springs forward on 2024-03-10, so "1d" back from 08:00 EDT is 08:00 EST: 23 hours, not 24.
        var backups = new[]
        {
            Backup("newest", "2024-03-10T12:00:00Z"),
            Backup("23.5h-before", "2024-03-09T12:30:00Z"),
        };
        var policy = RetentionPolicy.Parse("keep-within=1d");

        Assert.Equal([true, false], RetentionEngine.Apply(backups, policy, NewYork).Select(d => d.Keep));
        Assert.Equal([true, true], RetentionEngine.Apply(backups, policy, DateTimeZone.Utc).Select(d => d.Keep));
    }

    [Fact]
    public void Apply_WhenYearEndsMidWeek_UsesIsoWeekYear()
    {
        // 2020-12-31 and 2021-01-03 are both in ISO week 2020-W53; 2021-01-04 opens 2021-W01.
        var backups = new[]
        {
            Backup("w1", "2021-01-04T10:00:00Z"),
            Backup("w53-sun", "2021-01-03T10:00:00Z"),
            Backup("w53-thu", "2020-12-31T10:00:00Z"),
            Backup("w52", "2020-12-20T10:00:00Z"),
        };

        var decisions = RetentionEngine.Apply(backups, RetentionPolicy.Parse("keep-weekly=3"), DateTimeZone.Utc);

        Assert.Equal(["w1", "w53-sun", "w52"], decisions.Where(d => d.Keep).Select(d => d.Id));
    }

    private static BackupPoint Backup(string id, string time) =>
        new(id, DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind));
}
