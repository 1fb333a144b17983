using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace AmiRotator.Retention;

/// <summary>
/// Which backups to keep, in restic's <c>forget</c> vocabulary: counting rules (<c>keep-daily=7</c>) and windows
/// measured back from the newest backup (<c>keep-within=30d</c>). Only <see cref="Parse"/> and
/// <see cref="TryParse"/> build one, so every policy keeps at least one rule.
/// </summary>
internal sealed record RetentionPolicy
{
    private const string Example = "'keep-daily=7,keep-weekly=4'";

    // Canonical order: ToString writes keys in this order, so equal policies print equally.
    private static readonly string[] CountKeys =
        ["keep-last", "keep-hourly", "keep-daily", "keep-weekly", "keep-monthly", "keep-yearly"];

    private static readonly string[] WindowKeys =
        ["keep-within", "keep-within-hourly", "keep-within-daily", "keep-within-weekly", "keep-within-monthly", "keep-within-yearly"];

    private static readonly string AcceptedKeys = string.Join(", ", [.. CountKeys, .. WindowKeys]);

    private readonly RetentionCount?[] counts;
    private readonly RetentionDuration?[] windows;

    private RetentionPolicy(RetentionCount?[] counts, RetentionDuration?[] windows) =>
        (this.counts, this.windows) = (counts, windows);

    public RetentionCount? Last => counts[0];

    public RetentionCount? Hourly => counts[1];

    public RetentionCount? Daily => counts[2];

    public RetentionCount? Weekly => counts[3];

    public RetentionCount? Monthly => counts[4];

    public RetentionCount? Yearly => counts[5];

    public RetentionDuration? Within => windows[0];

    public RetentionDuration? WithinHourly => windows[1];

    public RetentionDuration? WithinDaily => windows[2];

    public RetentionDuration? WithinWeekly => windows[3];

    public RetentionDuration? WithinMonthly => windows[4];

    public RetentionDuration? WithinYearly => windows[5];

    /// <summary>Parses a policy such as <c>keep-daily=7, keep-weekly=4, keep-within=2d</c>.</summary>
    /// <exception cref="RetentionPolicyException">The text is not a valid policy; the message says why.</exception>
    public static RetentionPolicy Parse(string text) =>
        TryParse(text, out var policy, out var error) ? policy : throw new RetentionPolicyException(error);

    /// <summary>Parses a policy; on failure <paramref name="error"/> says what is wrong and what is accepted.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out RetentionPolicy? policy, [NotNullWhen(false)] out string? error)
    {
        policy = null;
        var problem = FindProblem(text ?? string.Empty, out var counts, out var windows);
        error = problem is null ? null : $"retention policy '{text}': {problem}";
        if (problem is null)
        {
            policy = new RetentionPolicy(counts, windows);
        }

        return problem is null;
    }

    public bool Equals(RetentionPolicy? other) =>
        other is not null && counts.SequenceEqual(other.counts) && windows.SequenceEqual(other.windows);

    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    /// <summary>The canonical text: keys in a fixed order, no spaces, durations normalised (e.g. <c>1y2d</c>).</summary>
    public override string ToString()
    {
        var items = new List<string>();
        for (var i = 0; i < CountKeys.Length; i++)
        {
            if (counts[i] is { } count)
            {
                items.Add($"{CountKeys[i]}={count}");
            }
        }

        for (var i = 0; i < WindowKeys.Length; i++)
        {
            if (windows[i] is { } window)
            {
                items.Add($"{WindowKeys[i]}={window}");
            }
        }

        return string.Join(',', items);
    }

    private static string? FindProblem(string text, out RetentionCount?[] counts, out RetentionDuration?[] windows)
    {
        counts = new RetentionCount?[CountKeys.Length];
        windows = new RetentionDuration?[WindowKeys.Length];
        if (string.IsNullOrWhiteSpace(text))
        {
            // An empty policy would retire every backup, so it is refused rather than read as "keep nothing".
            return $"it is empty; accepted: comma-separated key=value items such as {Example}";
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var items = text.Split(',');
        for (var n = 0; n < items.Length; n++)
        {
            var item = items[n].Trim();
            if (item.Length == 0)
            {
                return $"item {n + 1} is empty; accepted: key=value items separated by single commas, such as {Example}";
            }

            var equals = item.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                return $"item '{item}' has no '='; accepted: key=value, such as 'keep-daily=7'";
            }

            var key = item[..equals].Trim();
            var value = item[(equals + 1)..].Trim();
            var countSlot = Array.IndexOf(CountKeys, key);
            var windowSlot = Array.IndexOf(WindowKeys, key);
            if (countSlot < 0 && windowSlot < 0)
            {
                return $"unknown key '{key}'; accepted keys: {AcceptedKeys}";
            }

            if (!seen.Add(key))
            {
                return $"key '{key}' appears more than once; accepted: each key at most once";
            }

            var problem = countSlot >= 0
                ? ParseCount(key, value, out counts[countSlot])
                : ParseWindow(key, value, out windows[windowSlot]);
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? ParseCount(string key, string value, out RetentionCount? count)
    {
        count = null;
        var accepted = $"accepted: a whole number from 1 to {int.MaxValue}, or 'unlimited'";
        if (value == "unlimited")
        {
            count = RetentionCount.Unlimited;
            return null;
        }

        if (value.Length > 1 && value[0] == '-' && value[1..].All(char.IsAsciiDigit))
        {
            return $"{key} value '{value}' is negative; {accepted}";
        }

        if (value.Length == 0 || !value.All(char.IsAsciiDigit))
        {
            return $"{key} value '{value}' is not a count; {accepted}";
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return $"{key} value '{value}' is too large; {accepted}";
        }

        if (number == 0)
        {
            return $"{key} value '{value}' is zero; {accepted}";
        }

        count = RetentionCount.Of(number);
        return null;
    }

    private static string? ParseWindow(string key, string value, out RetentionDuration? window) =>
        RetentionDuration.TryParse(value, out window, out var problem)
            ? null
            : $"{key} value '{value}' is not a valid duration ({problem}); " +
              "accepted: one or more <number><unit> parts with units y, m, d, h, each at most once, " +
              "adding up to more than zero, such as '1y2m3d4h' or '7d'";
}
