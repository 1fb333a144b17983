using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AmiRotator.Planning;

/// <summary>
/// Deterministic names and tokens. AMI names allow no colon, so times use ISO 8601 basic format.
/// A scheduled backup is named to the minute of its scheduled time, so a redelivered event finds its backup by
/// name; a manual one after its idempotency token or request id, so a retry of the same request finds it too.
/// Every name ends with a mark of its owner: two stacks backing up one instance at the same time must not collide,
/// because AMI names are unique per account and Region (InvalidAMIName.Duplicate).
/// </summary>
internal static class BackupNaming
{
    public const string Prefix = "ami-rotator";

    /// <summary>[API_CreateImage] Name: "Constraints: 3-128 alphanumeric characters, parentheses (()), square brackets ([]), spaces ( ), periods (.), slashes (/), dashes (-), single quotes ('), at-signs (@), or underscores(_)".</summary>
    public const int MaxNameLength = 128;

    public static string Scheduled(string instanceId, DateTimeOffset scheduledTime, string owner) =>
        $"{Prefix}-{instanceId}-{scheduledTime.UtcDateTime.ToString("yyyyMMdd'T'HHmm'Z'", CultureInfo.InvariantCulture)}-{OwnerMark(owner)}";

    /// <summary>
    /// A manual backup's name. With an idempotency token it is derived from the token, so a retried request (even under
    /// a new request id) finds its backup; else from the request id, so Lambda's retry of the same asynchronous
    /// invocation finds it. Without either (tests only) it is named to the second.
    /// </summary>
    public static string Manual(string instanceId, DateTimeOffset invokedAt, string owner, string? requestId = null, string? idempotencyToken = null) =>
        (idempotencyToken, requestId) switch
        {
            ({ } token, _) => $"{Prefix}-{instanceId}-manual-{Hash($"token:{token}", 12)}-{OwnerMark(owner)}",
            (null, { } id) => $"{Prefix}-{instanceId}-manual-{Hash(id, 12)}-{OwnerMark(owner)}",
            _ => $"{Prefix}-{instanceId}-{invokedAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}-manual-{OwnerMark(owner)}",
        };

    /// <summary>The scheduled time truncated to the minute, as written into the <c>ami-rotator:scheduled-time</c> tag.</summary>
    public static string TimeTag(DateTimeOffset time) =>
        Iso8601.Seconds(time);

    /// <summary>
    /// CopyImage's idempotency token (at most 64 ASCII characters). Same source, destination, key and attempt give
    /// the same token, so the sweep and the AMI-available event can race without making two copies. A retry after
    /// a failed copy, or after a copy that is gone, names that copy, so it gets a fresh token.
    /// </summary>
    public static string CopyToken(string sourceImageId, string destinationRegion, string? kmsKeyId, string? retryOfImageId) =>
        $"{Prefix}-{Hash($"{sourceImageId}|{destinationRegion}|{kmsKeyId}|{retryOfImageId}", 48)}";

    /// <summary>Keeps a name within EC2's limit; names are made deterministically, so the cut one is too.</summary>
    public static string Fit(string name) => name.Length <= MaxNameLength ? name : name[..MaxNameLength];

    private static string OwnerMark(string owner) => $"o{Hash(owner, 8)}";

    private static string Hash(string text, int hexDigits) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..hexDigits];
}
