namespace AmiRotator.Retention;

/// <summary>
/// Whether one backup survives a retention policy, and why. Kept backups carry at least one reason
/// ("daily", "within 7d", ...); removed backups carry none.
/// </summary>
internal sealed record RetentionDecision(string Id, DateTimeOffset Time, bool Keep, IReadOnlyList<string> Reasons);
