using System.Globalization;

namespace AmiRotator;

/// <summary>The one way times are written into tags, summaries and logs: UTC, extended ISO 8601, with a Z.</summary>
internal static class Iso8601
{
    public static string Seconds(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Milliseconds(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
