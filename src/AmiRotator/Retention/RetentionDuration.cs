using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using NodaTime;
using NodaTime.TimeZones;

namespace AmiRotator.Retention;

/// <summary>
/// A keep-within window in restic's calendar units, written like <c>1y2m3d4h</c>. Years, months and days are
/// calendar steps (as Go's <c>AddDate</c>), hours are exact; a window always has a positive length.
/// </summary>
internal sealed record RetentionDuration
{
    public RetentionDuration(int years, int months, int days, int hours)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(years);
        ArgumentOutOfRangeException.ThrowIfNegative(months);
        ArgumentOutOfRangeException.ThrowIfNegative(days);
        ArgumentOutOfRangeException.ThrowIfNegative(hours);
        if (years == 0 && months == 0 && days == 0 && hours == 0)
        {
            // A zero window keeps nothing and is almost certainly a typo for a real one.
            throw new ArgumentException("A retention window must be longer than zero.", nameof(hours));
        }

        (Years, Months, Days, Hours) = (years, months, days, hours);
    }

    public int Years { get; }

    public int Months { get; }

    public int Days { get; }

    public int Hours { get; }

    /// <summary>
    /// Parses restic's duration syntax: one or more <c>&lt;number&gt;&lt;unit&gt;</c> parts, units y, m, d, h, in
    /// any order. Unlike restic, a repeated unit is an error rather than silently overwriting the first.
    /// </summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out RetentionDuration? duration, [NotNullWhen(false)] out string? problem)
    {
        duration = null;
        if (text.Length == 0)
        {
            problem = "it is empty";
            return false;
        }

        // Indexed y, m, d, h; null means the unit has not appeared yet.
        var parts = new int?[4];
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == start)
            {
                problem = $"expected a number at '{text[start..]}'";
                return false;
            }

            var digits = text[start..i];
            if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                problem = $"number '{digits}' is too large (at most {int.MaxValue})";
                return false;
            }

            if (i == text.Length)
            {
                problem = $"number {digits} has no unit";
                return false;
            }

            var unit = text[i];
            var slot = unit switch { 'y' => 0, 'm' => 1, 'd' => 2, 'h' => 3, _ => -1 };
            if (slot < 0)
            {
                problem = $"unknown unit '{unit}' after {digits}";
                return false;
            }

            if (parts[slot] is not null)
            {
                problem = $"unit '{unit}' appears more than once";
                return false;
            }

            parts[slot] = number;
            i++;
        }

        if (parts.All(p => p is null or 0))
        {
            problem = "it is zero";
            return false;
        }

        duration = new RetentionDuration(parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0, parts[3] ?? 0);
        problem = null;
        return true;
    }

    /// <summary>
    /// The instant the window opens when it ends at <paramref name="newest"/>: backups strictly after it are
    /// inside. Null when the window reaches back past the start of the calendar, i.e. it covers everything.
    /// </summary>
    public DateTimeOffset? StartBefore(DateTimeOffset newest, DateTimeZone zone)
    {
        ArgumentNullException.ThrowIfNull(zone);

        Int128 startUtcTicks = newest.UtcTicks;
        if (Years != 0 || Months != 0 || Days != 0)
        {
            // Calendar steps are taken on the zone's wall clock, as Go's AddDate does in the time's location,
            // so "1d" means "same wall time yesterday" across a DST change.
            var local = WallClock.Read(newest, zone);
            var monthIndex = (local.Year * 12L) + (local.Month - 1) - (Years * 12L) - Months;
            if (monthIndex < 12)
            {
                return null;
            }

            // Go normalises an overflowing day forward (Oct 31 − 1 month is "Sep 31", i.e. Oct 1) where .NET's
            // AddMonths would clamp to Sep 30; restic's windows, and so ours, are one day shorter there.
            var firstOfMonth = new DateOnly((int)(monthIndex / 12), (int)(monthIndex % 12) + 1, 1);
            var dayNumber = firstOfMonth.DayNumber + (local.Day - 1L) - Days;
            if (dayNumber < 0)
            {
                return null;
            }

            var wall = LocalDate.FromDateOnly(DateOnly.FromDayNumber((int)dayNumber)).At(local.TimeOfDay);
            startUtcTicks = WallClockToUtcTicks(wall, zone);
        }

        startUtcTicks -= (Int128)Hours * TimeSpan.TicksPerHour;
        return startUtcTicks < 0 ? null : new DateTimeOffset((long)startUtcTicks, TimeSpan.Zero);
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        Append(Years, 'y');
        Append(Months, 'm');
        Append(Days, 'd');
        Append(Hours, 'h');
        return text.ToString();

        void Append(int value, char unit)
        {
            if (value != 0)
            {
                text.Append(value.ToString(CultureInfo.InvariantCulture)).Append(unit);
            }
        }
    }

    // Go's time.Date resolution, which restic's windows (and so ours) follow: guess the offset in force at the
    // instant whose UTC reading is the wall time, and re-read it at the wall time minus that guess. A wall time the
    // zone shows once gets its one instant. A skipped or repeated one gets whatever those two reads give, which
    // depends on the side of Greenwich: New York resolves a skipped 02:30 to 01:30 EST and a repeated 01:30 to the
    // first (EDT) one; Berlin a skipped 02:30 to 03:30 CEST and a repeated 02:30 to the second (CET) one. No fixed
    // choice does that (NodaTime's lenient resolver shifts every gap forward and takes every first repeat), so
    // gaps and repeats go through the same two reads.
    private static readonly ZoneLocalMappingResolver AsGoTimeDate = Resolvers.CreateMappingResolver(
        (earlier, _) => TwoReads(earlier.LocalDateTime, earlier.Zone),
        (wall, zone, _, _) => TwoReads(wall, zone));

    private static Int128 WallClockToUtcTicks(LocalDateTime wall, DateTimeZone zone) =>
        zone.ResolveLocal(wall, AsGoTimeDate).ToInstant().ToUnixTimeTicks() + (Int128)DateTime.UnixEpoch.Ticks;

    private static ZonedDateTime TwoReads(LocalDateTime wall, DateTimeZone zone)
    {
        var guess = zone.GetUtcOffset(wall.InUtc().ToInstant());
        var actual = zone.GetUtcOffset(wall.WithOffset(guess).ToInstant());
        return wall.WithOffset(actual).ToInstant().InZone(zone);
    }
}
