namespace AmiRotator.Retention;

/// <summary>One backup as the retention engine sees it: an identifier and the instant it was taken.</summary>
internal sealed record BackupPoint(string Id, DateTimeOffset Time);
