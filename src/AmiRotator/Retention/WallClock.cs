using NodaTime;

namespace AmiRotator.Retention;

/// <summary>
/// Reads a backup's instant on the retention zone's wall clock, whose calendar the buckets and windows count in.
/// </summary>
internal static class WallClock
{
    /// <summary>
    /// The local date and time at <paramref name="time"/> in <paramref name="zone"/>, clamped to the years 1 to 9999
    /// that <see cref="DateTimeOffset"/> spans, as <c>TimeZoneInfo.ConvertTime</c> clamps. NodaTime would instead
    /// read year 0 (and throw past 9999) at the edges of the calendar, which would move those backups' buckets.
    /// </summary>
    public static LocalDateTime Read(DateTimeOffset time, DateTimeZone zone)
    {
        var offset = zone.GetUtcOffset(Instant.FromDateTimeOffset(time));
        var ticks = Math.Clamp(time.UtcTicks + offset.Ticks, DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks);
        return LocalDateTime.FromDateTime(new DateTime(ticks, DateTimeKind.Unspecified));
    }
}
