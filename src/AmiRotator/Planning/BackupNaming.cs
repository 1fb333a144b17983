using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AmiRotator.Planning;

/// <summary>
/// Deterministic names and tokens. AMI names allow no colon, so times use ISO 8601 basic format.
/// A scheduled backup is named to the minute of its scheduled time, so a redelivered event finds its backup by
/// name; an on-demand backup is named to the second of its invocation, so two a minute apart don't collide.
/// </summary>
internal static class BackupNaming
{
    public const string Prefix = "ami-rotator";

    public static string Scheduled(string instanceId, DateTimeOffset scheduledTime) =>
        $"{Prefix}-{instanceId}-{scheduledTime.UtcDateTime.ToString("yyyyMMdd'T'HHmm'Z'", CultureInfo.InvariantCulture)}";

    /// <summary>
    /// An on-demand backup's name. With a request id it is derived from it alone, so Lambda's retry of the same
    /// asynchronous invocation (same request id) finds the backup instead of making a second one.
    /// </summary>
    public static string OnDemand(string instanceId, DateTimeOffset invokedAt, string? requestId = null) =>
        requestId is null
            ? $"{Prefix}-{instanceId}-{invokedAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}-manual"
            : $"{Prefix}-{instanceId}-manual-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(requestId)))[..12]}";

    /// <summary>The scheduled time truncated to the minute, as written into the <c>ami-rotator:scheduled-time</c> tag.</summary>
    public static string TimeTag(DateTimeOffset time) =>
        Iso8601.Seconds(time);

    /// <summary>
    /// CopyImage's idempotency token (at most 64 ASCII characters). Same source, destination, key and attempt give
    /// the same token, so the sweep and the AMI-available event can race without making two copies. A retry after
    /// a failed copy names that failed copy, so it gets a fresh token.
    /// </summary>
    public static string CopyToken(string sourceImageId, string destinationRegion, string? kmsKeyId, string? retryOfImageId)
    {
        var material = $"{sourceImageId}|{destinationRegion}|{kmsKeyId}|{retryOfImageId}";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(material));
        return $"{Prefix}-{Convert.ToHexStringLower(hash)[..48]}";
    }
}
