using NodaTime;
using NodaTime.Calendars;

namespace AmiRotator.Retention;

/// <summary>
/// Decides which backups a <see cref="RetentionPolicy"/> keeps, with restic's <c>forget</c> semantics
/// (<c>ApplyPolicy</c>, restic 0.17+). Pure: no clock, no I/O, the input is not touched.
/// </summary>
internal static class RetentionEngine
{
    /// <summary>
    /// Returns one decision per backup, newest first (equal times stay in input order). Calendar buckets
    /// (hour, day, ISO week, month, year) are read on <paramref name="zone"/>'s wall clock; windows end at the
    /// newest backup, so a pause in backups never ages the last good ones out.
    /// </summary>
    public static IReadOnlyList<RetentionDecision> Apply(IReadOnlyList<BackupPoint> backups, RetentionPolicy policy, DateTimeZone zone)
    {
        ArgumentNullException.ThrowIfNull(backups);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(zone);

        // OrderByDescending is stable and copies; restic sorts the caller's slice in place, which we must not.
        var newestFirst = backups.OrderByDescending(b => b.Time.UtcTicks).ToArray();
        if (newestFirst.Length == 0)
        {
            return [];
        }

        var rules = RulesOf(policy, newestFirst[0].Time, zone);
        var oldest = newestFirst.Length - 1;
        var decisions = new RetentionDecision[newestFirst.Length];
        for (var nr = 0; nr < newestFirst.Length; nr++)
        {
            var backup = newestFirst[nr];
            var local = WallClock.Read(backup.Time, zone);
            var reasons = new List<string>();
            foreach (var rule in rules)
            {
                if (rule.Take(backup.Time, local, nr, isOldest: nr == oldest) is { } reason)
                {
                    reasons.Add(reason);
                }
            }

            decisions[nr] = new RetentionDecision(backup.Id, backup.Time, reasons.Count > 0, reasons.AsReadOnly());
        }

        return Array.AsReadOnly(decisions);
    }

    // restic's evaluation order: keep-within first, then the counting rules, then the bucketed windows.
    private static List<Rule> RulesOf(RetentionPolicy policy, DateTimeOffset newest, DateTimeZone zone)
    {
        var rules = new List<Rule>();
        AddWindow(policy.Within, "within", Index);
        AddCount(policy.Last, "last", Index);
        AddCount(policy.Hourly, "hourly", Hour);
        AddCount(policy.Daily, "daily", Day);
        AddCount(policy.Weekly, "weekly", IsoWeek);
        AddCount(policy.Monthly, "monthly", Month);
        AddCount(policy.Yearly, "yearly", Year);
        AddWindow(policy.WithinHourly, "hourly within", Hour);
        AddWindow(policy.WithinDaily, "daily within", Day);
        AddWindow(policy.WithinWeekly, "weekly within", IsoWeek);
        AddWindow(policy.WithinMonthly, "monthly within", Month);
        AddWindow(policy.WithinYearly, "yearly within", Year);
        return rules;

        void AddCount(RetentionCount? count, string reason, Func<LocalDateTime, int, long> bucket)
        {
            if (count is not null)
            {
                rules.Add(new Rule(reason, bucket, count.Limit, covers: static _ => true));
            }
        }

        void AddWindow(RetentionDuration? window, string reason, Func<LocalDateTime, int, long> bucket)
        {
            if (window is not null)
            {
                Func<DateTimeOffset, bool> covers = window.StartBefore(newest, zone) is { } start
                    ? time => time > start
                    : static _ => true;
                rules.Add(new Rule($"{reason} {window}", bucket, limit: null, covers));
            }
        }
    }

    private static long Index(LocalDateTime local, int nr) => nr;

    private static long Hour(LocalDateTime local, int nr) =>
        (local.Year * 1_000_000L) + (local.Month * 10_000L) + (local.Day * 100L) + local.Hour;

    private static long Day(LocalDateTime local, int nr) => (local.Year * 10_000L) + (local.Month * 100L) + local.Day;

    private static long IsoWeek(LocalDateTime local, int nr) =>
        (WeekYearRules.Iso.GetWeekYear(local.Date) * 100L) + WeekYearRules.Iso.GetWeekOfWeekYear(local.Date);

    private static long Month(LocalDateTime local, int nr) => (local.Year * 100L) + local.Month;

    private static long Year(LocalDateTime local, int nr) => local.Year;

    /// <summary>
    /// One rule's running state during a single <see cref="Apply"/>: a backup is kept when it opens a new bucket
    /// while the rule has counts left (or is unlimited / a window), and the oldest backup is kept too, so an
    /// unspent count stretches history as far back as it goes.
    /// </summary>
    private sealed class Rule(string reason, Func<LocalDateTime, int, long> bucket, int? limit, Func<DateTimeOffset, bool> covers)
    {
        // Bucket values are never negative, so the first backup always opens a bucket.
        private long last = -1;
        private int? remaining = limit;

        public string? Take(DateTimeOffset time, LocalDateTime local, int nr, bool isOldest)
        {
            if (remaining == 0 || !covers(time))
            {
                return null;
            }

            var value = bucket(local, nr);
            if (value == last && !isOldest)
            {
                return null;
            }

            var why = value == last ? $"oldest {reason}" : reason;
            last = value;
            remaining--;
            return why;
        }
    }
}
