using System.Globalization;
using AmiRotator.Retention;
using NodaTime;
using Xunit;

namespace AmiRotator.Tests.Retention;

/// <summary>
/// Retention across DST changes in New York (west of Greenwich) and Berlin (east of it): buckets follow the local
/// calendar through 23- and 25-hour days, and a window that opens on a skipped or repeated wall time opens where
/// Go's <c>time.Date</c> (and so restic) puts it, which depends on the side of Greenwich.
/// </summary>
public sealed class RetentionDstTests
{
    [Theory]
    // 02:30 on 2024-03-10 is skipped in New York (02:00 EST jumps to 03:00 EDT): Go lands on 01:30 EST, 24 h back.
    [InlineData("America/New_York", "2024-03-11T06:30:00Z", "2024-03-10T06:30:00Z")]
    // 02:30 on 2024-03-31 is skipped in Berlin (02:00 CET jumps to 03:00 CEST): Go lands on 03:30 CEST, 23 h back.
    [InlineData("Europe/Berlin", "2024-04-01T00:30:00Z", "2024-03-31T01:30:00Z")]
    // 01:30 on 2024-11-03 happens twice in New York: Go takes the first one (EDT), 25 h back.
    [InlineData("America/New_York", "2024-11-04T06:30:00Z", "2024-11-03T05:30:00Z")]
    // 02:30 on 2024-10-27 happens twice in Berlin: Go takes the second one (CET), 24 h back.
    [InlineData("Europe/Berlin", "2024-10-28T01:30:00Z", "2024-10-27T01:30:00Z")]
    public void Apply_WhenOneDayBackIsASkippedOrRepeatedWallTime_OpensTheWindowWhereGoResolvesIt(string zone, string newest, string start)
    {
        // The other resolutions lie an hour either side, so one minute inside and the start itself tell them apart.
        var opens = At(start);
        var backups = new[]
        {
            new BackupPoint("newest", At(newest)),
            new BackupPoint("minute-after-start", opens.AddMinutes(1)),
            new BackupPoint("at-start", opens),
        };

        var decisions = RetentionEngine.Apply(backups, RetentionPolicy.Parse("keep-within=1d"), Zone(zone));

        Assert.Equal(["newest: within 1d", "minute-after-start: within 1d", "at-start: "], Lines(decisions));
    }

    [Fact]
    public void Apply_WhenDailyBucketsSpanNewYorkDstChanges_SplitsDaysAtLocalMidnight()
    {
        // 2024-03-10 has 23 hours (midnights at 05:00Z and 04:00Z); 2024-11-03 has 25 (04:00Z and 05:00Z).
        var decisions = Apply("America/New_York", "keep-daily=unlimited",
            ("nov04-0000", "2024-11-04T05:00:00Z"),
            ("nov03-2359", "2024-11-04T04:59:00Z"),
            ("nov03-0130-est", "2024-11-03T06:30:00Z"),
            ("nov03-0130-edt", "2024-11-03T05:30:00Z"),
            ("nov03-0000", "2024-11-03T04:00:00Z"),
            ("nov02-2359", "2024-11-03T03:59:00Z"),
            ("mar11-0000", "2024-03-11T04:00:00Z"),
            ("mar10-2359", "2024-03-11T03:59:00Z"),
            ("mar10-0300-edt", "2024-03-10T07:00:00Z"),
            ("mar10-0159-est", "2024-03-10T06:59:00Z"),
            ("mar10-0000", "2024-03-10T05:00:00Z"),
            ("mar09-2359", "2024-03-10T04:59:00Z"));

        Assert.Equal(
            [
                "nov04-0000: daily", "nov03-2359: daily", "nov03-0130-est: ", "nov03-0130-edt: ", "nov03-0000: ",
                "nov02-2359: daily", "mar11-0000: daily", "mar10-2359: daily", "mar10-0300-edt: ", "mar10-0159-est: ",
                "mar10-0000: ", "mar09-2359: daily",
            ],
            Lines(decisions));
    }

    [Fact]
    public void Apply_WhenDailyBucketsSpanBerlinDstChanges_SplitsDaysAtLocalMidnight()
    {
        // 2024-03-31 has 23 hours (midnights at 23:00Z and 22:00Z); 2024-10-27 has 25 (22:00Z and 23:00Z).
        var decisions = Apply("Europe/Berlin", "keep-daily=unlimited",
            ("oct28-0000", "2024-10-27T23:00:00Z"),
            ("oct27-2359", "2024-10-27T22:59:00Z"),
            ("oct27-0230-cet", "2024-10-27T01:30:00Z"),
            ("oct27-0230-cest", "2024-10-27T00:30:00Z"),
            ("oct27-0000", "2024-10-26T22:00:00Z"),
            ("oct26-2359", "2024-10-26T21:59:00Z"),
            ("apr01-0000", "2024-03-31T22:00:00Z"),
            ("mar31-2359", "2024-03-31T21:59:00Z"),
            ("mar31-0300-cest", "2024-03-31T01:00:00Z"),
            ("mar31-0159-cet", "2024-03-31T00:59:00Z"),
            ("mar31-0000", "2024-03-30T23:00:00Z"),
            ("mar30-2359", "2024-03-30T22:59:00Z"));

        Assert.Equal(
            [
                "oct28-0000: daily", "oct27-2359: daily", "oct27-0230-cet: ", "oct27-0230-cest: ", "oct27-0000: ",
                "oct26-2359: daily", "apr01-0000: daily", "mar31-2359: daily", "mar31-0300-cest: ", "mar31-0159-cet: ",
                "mar31-0000: ", "mar30-2359: daily",
            ],
            Lines(decisions));
    }

    [Theory]
    // New York repeats 01:00-02:00 on 2024-11-03: first EDT (05:00-06:00Z), then EST (06:00-07:00Z).
    [InlineData("America/New_York", "2024-11-03T07:00:00Z", "2024-11-03T06:30:00Z", "2024-11-03T05:59:00Z", "2024-11-03T05:00:00Z", "2024-11-03T04:59:00Z")]
    // Berlin repeats 02:00-03:00 on 2024-10-27: first CEST (00:00-01:00Z), then CET (01:00-02:00Z).
    [InlineData("Europe/Berlin", "2024-10-27T02:00:00Z", "2024-10-27T01:30:00Z", "2024-10-27T00:59:00Z", "2024-10-27T00:00:00Z", "2024-10-26T23:59:00Z")]
    public void Apply_WhenAnHourIsRepeated_CountsBothPassesAsOneHourlyBucket(
        string zone, string nextHour, string secondPass, string firstPassEnd, string firstPassStart, string hourBefore)
    {
        var decisions = Apply(zone, "keep-hourly=unlimited",
            ("next-hour", nextHour),
            ("second-pass", secondPass),
            ("first-pass-end", firstPassEnd),
            ("first-pass-start", firstPassStart),
            ("hour-before", hourBefore));

        Assert.Equal(
            ["next-hour: hourly", "second-pass: hourly", "first-pass-end: ", "first-pass-start: ", "hour-before: hourly"],
            Lines(decisions));
    }

    private static IReadOnlyList<RetentionDecision> Apply(string zone, string policy, params (string Id, string Time)[] backups) =>
        RetentionEngine.Apply([.. backups.Select(b => new BackupPoint(b.Id, At(b.Time)))], RetentionPolicy.Parse(policy), Zone(zone));

    private static IEnumerable<string> Lines(IReadOnlyList<RetentionDecision> decisions) =>
        decisions.Select(d => $"{d.Id}: {string.Join(", ", d.Reasons)}");

    private static DateTimeZone Zone(string name) => DateTimeZoneProviders.Tzdb[name];

    private static DateTimeOffset At(string time) =>
        DateTimeOffset.Parse(time, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
