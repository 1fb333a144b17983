namespace AmiRotator.Reporting;

/// <summary>An image the pass created, copied, retired or kept. In a dry run <see cref="ImageId"/> of a planned image is null.</summary>
internal sealed record ImageEntry(
    string? ImageId,
    string Region,
    string? InstanceId,
    string? Name = null,
    string? SourceImageId = null,
    string? SourceRegion = null,
    string? CreationDate = null,
    IReadOnlyList<string>? Reasons = null);

internal sealed record SnapshotEntry(string SnapshotId, string Region, string? ImageId, string? InstanceId, string Reason);

internal sealed record SkipEntry(string Subject, string Region, string? InstanceId, string Reason);

internal sealed record FailureEntry(string Subject, string Region, string? InstanceId, string Step, string Error);

/// <summary>One row of the <c>preflight</c> table: a permission in a Region, its verdict, what it was tried on, and why.</summary>
internal sealed record PermissionEntry(string Permission, string Region, string Verdict, string Subject, string? Detail = null);

/// <summary>One protected instance's recovery point in one Region (the <c>report</c> action).</summary>
internal sealed record RecoveryPoint(
    string InstanceId,
    string Region,
    string? Name,
    string? NewestImageId,
    string? NewestCreationDate,
    double? AgeHours,
    bool Stale,
    string Status);

/// <summary>The response of every invocation: what was done (or, in a dry run, what would be), and why.</summary>
internal sealed record Summary(
    string Action,
    bool DryRun,
    string Region,
    string? DrRegion,
    string? ScheduledTime,
    IReadOnlyList<ImageEntry> Created,
    IReadOnlyList<ImageEntry> Copied,
    IReadOnlyList<ImageEntry> Retired,
    IReadOnlyList<SnapshotEntry> DeletedSnapshots,
    IReadOnlyList<ImageEntry> Kept,
    IReadOnlyList<SkipEntry> Skipped,
    IReadOnlyList<FailureEntry> Failures,
    string? BudgetExceeded = null,
    IReadOnlyList<RecoveryPoint>? RecoveryPoints = null,
    string? Message = null,
    int? KeptTotal = null,
    IReadOnlyList<PermissionEntry>? Permissions = null,
    IReadOnlyList<ImageEntry>? Adopted = null,
    int? Unfinished = null,
    IReadOnlyList<SnapshotEntry>? Locked = null,
    IReadOnlyList<ImageEntry>? Deprecated = null,
    [property: System.Text.Json.Serialization.JsonIgnore] IReadOnlyList<RecoveryHealth>? Health = null)
{
    /// <summary>
    /// At most this many keep decisions go into the response: a large fleet keeps tens of thousands of images,
    /// which would pass Lambda's 6 MB response and CloudWatch's 256 KB event limits. Each one is logged anyway.
    /// </summary>
    public const int MaxKeptListed = 500;

    public static IReadOnlyList<ImageEntry> Cap(IReadOnlyList<ImageEntry> kept) => kept.Count <= MaxKeptListed ? kept : [.. kept.Take(MaxKeptListed)];
}
