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

    public List<LockAction> Locks { get; } = [];

    public List<DeprecateAction> Deprecations { get; } = [];

    public List<KeepDecision> Kept { get; } = [];

    public List<Skip> Skipped { get; } = [];

    public List<Failure> Failures { get; } = [];

    /// <summary>Source backups whose copy must wait: for the source to become available, or for a copy slot.</summary>
    public List<string> CopiesWaiting { get; } = [];

    /// <summary>Of those, the ones waiting for their source to become available (the others wait for a slot).</summary>
    public List<string> SourcesPending { get; } = [];
}
