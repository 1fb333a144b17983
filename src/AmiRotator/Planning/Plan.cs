namespace AmiRotator.Planning;

/// <summary>
/// Everything one pass intends to do, each item with its reason. A dry run prints this and stops; a real run
/// hands it to the executor. <see cref="Candidates"/> are the images retention would retire before the
/// deletion budget is applied: the ones whose references must be checked. Built only by <see cref="Planner"/>, which is pure.
/// </summary>
internal sealed record Plan(
    IReadOnlyList<BackupAction> Backups,
    IReadOnlyList<CopyAction> Copies,
    IReadOnlyList<RetireAction> Retirements,
    IReadOnlyList<SnapshotDeletion> SnapshotDeletions,
    IReadOnlyList<KeepDecision> Kept,
    IReadOnlyList<Skip> Skipped,
    IReadOnlyList<Failure> Failures,
    string? BudgetExceeded,
    IReadOnlyList<RetireAction> Candidates,
    IReadOnlyList<AdoptAction> Adoptions,
    IReadOnlyList<string>? CopiesWaiting = null,
    IReadOnlyList<string>? SourcesPending = null,
    IReadOnlyList<LockAction>? Locks = null,
    IReadOnlyList<DeprecateAction>? Deprecations = null);
