using System.Globalization;

namespace AmiRotator.Retention;

/// <summary>How many buckets a counting rule (keep-last, keep-daily, ...) may fill: a positive number or unlimited.</summary>
internal sealed record RetentionCount
{
    private RetentionCount(int? limit) => Limit = limit;

    public static RetentionCount Unlimited { get; } = new((int?)null);

    /// <summary>The number of buckets to keep; null when unlimited.</summary>
    public int? Limit { get; }

    public bool IsUnlimited => Limit is null;

    public static RetentionCount Of(int limit) =>
        limit > 0
            ? new RetentionCount(limit)
            : throw new ArgumentOutOfRangeException(nameof(limit), limit, "A retention count must be positive.");

    public override string ToString() => Limit?.ToString(CultureInfo.InvariantCulture) ?? "unlimited";
}
