using System.Globalization;
using AmiRotator.Retention;

namespace AmiRotator.Tests.Retention;

/// <summary>
/// A generated retention input: policy items (each a valid <c>key=value</c>), backup times with mixed offsets
/// and frequent ties, and a seed for reordering the input.
/// </summary>
public sealed record RetentionScenario(IReadOnlyList<string> PolicyItems, IReadOnlyList<DateTimeOffset> Times, int Seed)
{
    internal BackupPoint[] Backups() => [.. Times.Select((time, i) => new BackupPoint($"b{i}", time))];

    /// <summary>The generated policy with any <paramref name="key"/> item replaced by <c>key=value</c>.</summary>
    internal RetentionPolicy PolicyWith(string key, string value) =>
        RetentionPolicy.Parse(string.Join(',', PolicyItems.Where(i => !i.StartsWith(key + "=", StringComparison.Ordinal)).Append($"{key}={value}")));

    internal RetentionPolicy Policy() => RetentionPolicy.Parse(string.Join(',', PolicyItems));

    public override string ToString() =>
        $"policy '{string.Join(',', PolicyItems)}', seed {Seed}, times [{string.Join(", ", Times.Select(t => t.ToString("O", CultureInfo.InvariantCulture)))}]";
}
