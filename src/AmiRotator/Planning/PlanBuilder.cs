namespace AmiRotator.Planning;

/// <summary>What the plan steps add to as the planner walks them; <see cref="Planner"/> turns it into a <see cref="Plan"/>.</summary>
internal sealed class PlanBuilder
{
    public List<BackupAction> Backups { get; } = [];

    public List<CopyAction> Copies { get; } = [];

    public List<AdoptAction> Adoptions { get; } = [];

    /// <summary>What retention would retire before the deletion budget is applied.</summary>
    public List<RetireAction> Candidates { get; } = [];

    public List<SnapshotDeletion> SnapshotDeletions { get; } = [];

    public List<KeepDecision> Kept { get; } = [];

    public List<Skip> Skipped { get; } = [];

    public List<Failure> Failures { get; } = [];
}
