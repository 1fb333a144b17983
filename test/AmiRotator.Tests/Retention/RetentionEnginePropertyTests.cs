using AmiRotator.Retention;
using NodaTime;
using FsCheck;
using FsCheck.Xunit;
using Xunit;

namespace AmiRotator.Tests.Retention;

/// <summary>Invariants every retention decision must satisfy, for any policy and any set of backups.</summary>
[Properties(Arbitrary = [typeof(RetentionArbitraries)], MaxTest = 1000)]
public sealed class RetentionEnginePropertyTests
{
    private static readonly DateTimeZone NewYork = DateTimeZoneProviders.Tzdb["America/New_York"];

    [Property]
    public void Apply_ForAnyPolicy_ReturnsEveryInputBackupExactlyOnce(RetentionScenario scenario)
    {
        var backups = scenario.Backups();

        var decisions = RetentionEngine.Apply(backups, scenario.Policy(), NewYork);

        Assert.Equal(
            backups.Select(b => (b.Id, b.Time.UtcTicks, b.Time.Offset)).OrderBy(b => b.Id, StringComparer.Ordinal),
            decisions.Select(d => (d.Id, d.Time.UtcTicks, d.Time.Offset)).OrderBy(d => d.Id, StringComparer.Ordinal));
    }

    [Property]
    public void Apply_ForAnyPolicy_GivesEachKeptBackupAReasonAndNoRemovedOne(RetentionScenario scenario)
    {
        var decisions = RetentionEngine.Apply(scenario.Backups(), scenario.Policy(), NewYork);

        Assert.All(decisions, d => Assert.Equal(d.Keep, d.Reasons.Count > 0));
        Assert.All(decisions.SelectMany(d => d.Reasons), reason => Assert.False(string.IsNullOrWhiteSpace(reason)));
    }

    [Property]
    public void Apply_ForAnyPolicy_KeepsTheNewestBackup(RetentionScenario scenario)
    {
        var decisions = RetentionEngine.Apply(scenario.Backups(), scenario.Policy(), NewYork);

        Assert.Equal(scenario.Times.Max(t => t.UtcTicks), decisions[0].Time.UtcTicks);
        Assert.True(decisions[0].Keep);
    }

    [Property]
    public void Apply_ForAnyInput_ListsNewestFirstWithTiesInInputOrder(RetentionScenario scenario)
    {
        var backups = scenario.Backups();
        var inputIndex = backups.Select((b, i) => (b.Id, i)).ToDictionary(p => p.Id, p => p.i);

        var decisions = RetentionEngine.Apply(backups, scenario.Policy(), NewYork);

        foreach (var (newer, older) in decisions.Zip(decisions.Skip(1)))
        {
            Assert.True(newer.Time >= older.Time, $"{newer.Id} listed before older {older.Id}");
            Assert.True(newer.Time > older.Time || inputIndex[newer.Id] < inputIndex[older.Id], $"tie {newer.Id}/{older.Id} reordered");
        }
    }

    [Property]
    public void Apply_WhenInputReordered_DecidesTheSameForEachPosition(RetentionScenario scenario)
    {
        var backups = scenario.Backups();
        var random = new Random(scenario.Seed);
        var shuffled = backups.OrderBy(_ => random.Next()).ToArray();
        var policy = scenario.Policy();

        // Ties may swap which backup holds a position, but never what is decided for that position.
        static IEnumerable<(long, bool, string)> Shape(IEnumerable<RetentionDecision> decisions) =>
            decisions.Select(d => (d.Time.UtcTicks, d.Keep, string.Join('|', d.Reasons)));

        Assert.Equal(Shape(RetentionEngine.Apply(backups, policy, NewYork)), Shape(RetentionEngine.Apply(shuffled, policy, NewYork)));
    }

    [Property]
    public void Apply_ForAnyInput_LeavesTheInputListUntouched(RetentionScenario scenario)
    {
        var input = scenario.Backups().ToList();
        var before = input.ToArray();

        _ = RetentionEngine.Apply(input, scenario.Policy(), NewYork);

        Assert.Equal(before, input, ReferenceEqualityComparer.Instance);
    }

    [Property]
    public void Apply_WhenKeepLastN_KeepsTheNNewest(RetentionScenario scenario, PositiveInt count)
    {
        var n = 1 + (count.Get % 20);

        var decisions = RetentionEngine.Apply(scenario.Backups(), scenario.PolicyWith("keep-last", $"{n}"), NewYork);

        Assert.All(decisions.Take(n), d => Assert.Contains("last", d.Reasons));
        Assert.True(decisions.Count(d => d.Keep) >= Math.Min(n, decisions.Count));
    }

    [Property]
    public void Apply_WhenKeepLastUnlimited_KeepsEveryBackup(RetentionScenario scenario)
    {
        var decisions = RetentionEngine.Apply(scenario.Backups(), scenario.PolicyWith("keep-last", "unlimited"), NewYork);

        Assert.All(decisions, d => Assert.True(d.Keep));
    }

    [Property]
    public void Apply_WhenKeepWithinDaysAndHours_KeepsEveryBackupInsideTheWindow(RetentionScenario scenario, byte days, byte hours)
    {
        var (d, h) = (days % 41, hours % 73);
        h = d == 0 && h == 0 ? 1 : h;
        var start = scenario.Times.Max()!.AddHours(-((24 * d) + h));

        // In UTC a calendar day is exactly 24 hours, so the window's start is known without calendar math.
        var decisions = RetentionEngine.Apply(scenario.Backups(), scenario.PolicyWith("keep-within", $"{d}d{h}h"), DateTimeZone.Utc);

        Assert.All(decisions.Where(x => x.Time > start), x => Assert.Contains(x.Reasons, r => r.StartsWith("within ", StringComparison.Ordinal)));
    }

    [Property]
    public void Apply_WhenOnlyKeepWithin_RemovesEveryBackupOutsideTheWindow(RetentionScenario scenario, byte days, byte hours)
    {
        var (d, h) = (days % 41, hours % 73);
        h = d == 0 && h == 0 ? 1 : h;
        var start = scenario.Times.Max()!.AddHours(-((24 * d) + h));

        var decisions = RetentionEngine.Apply(scenario.Backups(), RetentionPolicy.Parse($"keep-within={d}d{h}h"), DateTimeZone.Utc);

        Assert.All(decisions, x => Assert.Equal(x.Time > start, x.Keep));
    }

    [Property]
    public void Apply_WhenKeepWithinMonthsAndYears_KeepsEveryBackupInsideTheShortestSuchWindow(RetentionScenario scenario, byte years, byte months)
    {
        var (y, m) = (years % 3, months % 15);
        m = y == 0 && m == 0 ? 1 : m;

        // A calendar month is never shorter than 28 days, and a DST change moves the start by at most an hour.
        var start = scenario.Times.Max()!.AddDays(-28 * ((12 * y) + m)).AddHours(1);

        var decisions = RetentionEngine.Apply(scenario.Backups(), scenario.PolicyWith("keep-within", $"{y}y{m}m"), NewYork);

        Assert.All(decisions.Where(x => x.Time > start), x => Assert.True(x.Keep));
    }

    [Property]
    public void Apply_WhenKeepDailyN_KeepsNewestOfNLocalDaysPlusTheOldest(RetentionScenario scenario, PositiveInt count)
    {
        var n = 1 + (count.Get % 10);

        var decisions = RetentionEngine.Apply(scenario.Backups(), RetentionPolicy.Parse($"keep-daily={n}"), NewYork);

        // Each local day counts once, for its newest backup; the oldest backup may ride along as "oldest daily".
        LocalDate Day(RetentionDecision d) => Instant.FromDateTimeOffset(d.Time).InZone(NewYork).Date;
        var days = decisions.Select(Day).Distinct().Count();
        Assert.Equal(Math.Min(n, days), decisions.Count(d => d.Reasons.Contains("daily")));
        Assert.All(
            decisions.Where(d => d.Reasons.Contains("daily")),
            d => Assert.Same(d, decisions.First(x => Day(x) == Day(d))));
        Assert.All(decisions.SkipLast(1), d => Assert.Equal(d.Reasons.Contains("daily"), d.Keep));
        Assert.InRange(decisions.Count(d => d.Keep), 1, n + 1);

        // While the count is not spent, history stretches back to the very first backup.
        var daysBeforeOldest = decisions.SkipLast(1).Select(Day).Distinct().Count();
        Assert.Equal(daysBeforeOldest < n, decisions[^1].Keep);
    }
}
