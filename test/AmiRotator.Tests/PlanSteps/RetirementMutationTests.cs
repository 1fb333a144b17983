using AmiRotator.Inventory;
using AmiRotator.Planning;
using Xunit;

namespace AmiRotator.Tests.PlanSteps;

/// <summary>
/// Steps 3 and 4 on hand-written inventories, for the rules mutation testing found unguarded: the reason every kept
/// or retired backup carries, which policy judges a backup and when that is a failure, the deletion budget's sentence,
/// adoption's tags, the orphan sweep, and deprecation's boundary. Each reason is asserted whole: the plan is what a
/// dry run prints, so its explanations are part of the product.
/// </summary>
public sealed class RetirementMutationTests
{
    private const string InstanceId = PlanningCase.InstanceId;
    private const string Other = "i-0fedcba9876543210";
    private const string LocksUnreadable = "snapshot locks unreadable: a locked snapshot can't be deleted";
    private static readonly DateTimeOffset Now = PlanningCase.Now;

    private static IEnumerable<string> Kept(Plan plan) => plan.Kept.Select(k => $"{k.ImageId}: {string.Join(" | ", k.Reasons)}");

    [Fact]
    public void Retention_RetiresWhatIsOutsideItsPolicy_InstanceByInstance()
    {
        var world = new PlanningCase();
        world.AddBackup("ami-0000000000000001", Now.AddDays(-2), instanceId: Other);
        world.AddBackup("ami-0000000000000002", Now.AddDays(-1), instanceId: Other);
        world.AddBackup("ami-0000000000000003", Now.AddDays(-2));
        world.AddBackup("ami-0000000000000004", Now.AddDays(-1));

        var plan = world.Build();

        Assert.Equal(["ami-0000000000000003", "ami-0000000000000001"], plan.Retirements.Select(r => r.ImageId));
        Assert.All(plan.Retirements, r => Assert.Equal(["outside its policy keep-last=1"], r.Reasons));
    }

    [Fact]
    public void Retention_WhenABackupNamesNoInstance_KeepsIt_SayingWhy()
    {
        var world = new PlanningCase();
        world.AddBackup("ami-0000000000000001", Now.AddDays(-2), instanceId: null);
        world.AddBackup("ami-0000000000000002", Now.AddDays(-1), instanceId: null);

        var plan = world.Build();

        Assert.Empty(plan.Retirements);
        Assert.Equal(["ami-0000000000000001: no ami-rotator:instance-id tag", "ami-0000000000000002: no ami-rotator:instance-id tag"], Kept(plan));
    }

    [Fact]
    public void Retention_KeepsABackupWithoutCreationDate_AndEveryReasonToKeepAnother()
    {
        var world = new PlanningCase(("DR_REGION", PlanningCase.Dr));
        world.AddBackup("ami-0000000000000001", DateTimeOffset.MinValue);
        var copying = world.AddBackup("ami-0000000000000002", Now.AddDays(-5));
        world.AddBackup("ami-0000000000000003", Now.AddDays(-4), tags: [(ManagedTags.Keep, "true")]);
        world.AddBackup("ami-0000000000000004", Now.AddDays(-3), deregistrationProtection: "enabled");
        var failedCopying = world.AddBackup("ami-0000000000000005", Now.AddDays(-2), state: ImageStates.Failed);
        world.AddBackup("ami-0000000000000006", Now.AddDays(-1));
        world.AddCopy("ami-0000000000000082", copying, Now, state: ImageStates.Pending);
        world.AddCopy("ami-0000000000000085", failedCopying, Now, state: ImageStates.Pending);

        var plan = world.Build();

        Assert.Empty(plan.Retirements);
        Assert.Equal(
            [
                "ami-0000000000000001: creation date unknown",
                "ami-0000000000000006: last | newest",
                "ami-0000000000000004: deregistration protection enabled",
                "ami-0000000000000003: pinned",
                "ami-0000000000000002: DR copy in progress",
                "ami-0000000000000005: DR copy in progress",
            ],
            Kept(plan).Where(k => k.StartsWith("ami-00000000000000", StringComparison.Ordinal) && !k.StartsWith("ami-000000000000008", StringComparison.Ordinal)));
    }

    [Fact]
    public void Retention_WhenTheDrRegionCouldNotBeRead_KeepsWhatItWouldRetire()
    {
        var world = new PlanningCase(("DR_REGION", PlanningCase.Dr));
        world.AddBackup("ami-0000000000000001", Now.AddDays(-3), state: ImageStates.Failed);
        world.AddBackup("ami-0000000000000002", Now.AddDays(-2));
        world.AddBackup("ami-0000000000000003", Now.AddDays(-1));
        world.Unread.Add(InventoryPart.DrImages);

        var plan = world.Build();

        Assert.Empty(plan.Retirements);
        Assert.Equal(
            [
                "ami-0000000000000003: last | newest",
                "ami-0000000000000002: DR Region unreadable: a copy of it may be in progress",
                "ami-0000000000000001: DR Region unreadable: a copy of it may be in progress",
            ],
            Kept(plan));
    }

    [Fact]
    public void Retention_WhenTheSourcesLocksCouldNotBeRead_KeepsWhatItWouldRetire_ButNotWhenOnlyTheDrLocksAreUnread()
    {
        var world = new PlanningCase(("DR_REGION", PlanningCase.Dr));
        world.AddBackup("ami-0000000000000001", Now.AddDays(-3), state: ImageStates.Failed);
        world.AddBackup("ami-0000000000000002", Now.AddDays(-2));
        world.AddBackup("ami-0000000000000003", Now.AddDays(-1));
        world.Unread.Add(InventoryPart.SourceLocks);

        var plan = world.Build();

        Assert.Empty(plan.Retirements);
        Assert.Contains($"ami-0000000000000002: {LocksUnreadable}", Kept(plan));
        Assert.Contains($"ami-0000000000000001: {LocksUnreadable}", Kept(plan));

        world.Unread.Clear();
        world.Unread.Add(InventoryPart.DrLocks);
        Assert.Equal(["ami-0000000000000002", "ami-0000000000000001"], world.Build().Retirements.Select(r => r.ImageId));
    }

    [Fact]
    public void Retention_WhenTheDrRegionsLocksCouldNotBeRead_KeepsItsCopies_ButNotWhenOnlyTheSourcesAreUnread()
    {
        var world = new PlanningCase(("DR_REGION", PlanningCase.Dr));
        var older = world.AddBackup("ami-0000000000000001", Now.AddDays(-2), policy: "keep-last=5");
        var newer = world.AddBackup("ami-0000000000000002", Now.AddDays(-1), policy: "keep-last=5");
        world.AddCopy("ami-0000000000000081", older, Now.AddDays(-2));
        world.AddCopy("ami-0000000000000082", newer, Now.AddDays(-1));
        world.Unread.Add(InventoryPart.DrLocks);

        var plan = world.Build();

        Assert.Empty(plan.Retirements);
        Assert.Contains($"ami-0000000000000081: {LocksUnreadable}", Kept(plan));

        world.Unread.Clear();
        world.Unread.Add(InventoryPart.SourceLocks);
        Assert.Equal(["ami-0000000000000081"], world.Build().Retirements.Select(r => r.ImageId));
    }

    [Fact]
    public void Retention_JudgesUnavailableBackupsByState_InImageIdOrder()
    {
        var world = new PlanningCase();
        world.AddBackup("ami-0000000000000004", Now.AddDays(-4), state: ImageStates.Failed);
        world.AddBackup("ami-0000000000000003", Now.AddDays(-3), state: ImageStates.Error);
        world.AddBackup("ami-0000000000000002", Now.AddDays(-2), state: ImageStates.Disabled);
        world.AddBackup("ami-0000000000000001", Now.AddDays(-1), state: ImageStates.Pending);
        world.AddBackup("ami-0000000000000005", Now, state: ImageStates.Failed, tags: [(ManagedTags.Keep, "true")]);

        var plan = world.Build();

        Assert.Equal(["ami-0000000000000003", "ami-0000000000000004"], plan.Retirements.Select(r => r.ImageId));
        Assert.Equal(["image is error, not a usable backup"], plan.Retirements[0].Reasons);
        Assert.Equal(["image is failed, not a usable backup"], plan.Retirements[1].Reasons);
        Assert.Equal(["ami-0000000000000001: pending", "ami-0000000000000002: image is disabled", "ami-0000000000000005: pinned"], Kept(plan));
    }

    [Fact]
    public void Retention_WhenSnapshotsAreLocked_KeepsTheImage_NamingEachLockInOrder()
    {
        var world = new PlanningCase();
        world.AddBackup("ami-0000000000000001", Now.AddDays(-2), snapshots: ["snap-b", "snap-a"]);
        world.AddBackup("ami-0000000000000002", Now.AddDays(-1));
        world.SourceLocks["snap-b"] = new SnapshotLock("snap-b", "compliance", Now.AddDays(2));
        world.SourceLocks["snap-a"] = new SnapshotLock("snap-a", "governance", null);

        var kept = world.Build().Kept.Single(k => k.ImageId == "ami-0000000000000001");

        Assert.Equal(
            [
                "snapshot snap-a locked (governance): it can't be deleted before then",
                "snapshot snap-b locked (compliance) until 2026-11-28T03:00:00Z: it can't be deleted before then",
            ],
            kept.Reasons);
    }

    [Fact]
    public void Retention_WhenTheInUseCheckSaysSomething_KeepsTheImage_SayingWhat()
    {
        var world = new PlanningCase();
        world.AddBackup("ami-0000000000000001", Now.AddDays(-3));
        world.AddBackup("ami-0000000000000002", Now.AddDays(-2));
        world.AddBackup("ami-0000000000000003", Now.AddDays(-1));
        var used = new ImageReferences(new Dictionary<string, IReadOnlyList<string>>
        {
            ["ami-0000000000000001"] = ["arn:aws:ec2:eu-west-1:123456789012:launch-template/lt-0abc/3", "arn:aws:ec2:eu-west-1:123456789012:launch-template/lt-0def/1"],
        });

        Assert.Equal(
            ["ami-0000000000000003: last | newest", "ami-0000000000000002: in-use check unavailable", "ami-0000000000000001: in use by lt-0abc/3, lt-0def/1"],
            Kept(world.Build(references: used)));
        Assert.Contains(
            "ami-0000000000000002: in-use check unavailable (DescribeImageReferences failed)",
            Kept(world.Build(references: used with { Unavailable = "DescribeImageReferences failed" })));
    }

    [Fact]
    public void Retention_WhenADrCopyFailed_KeepsItUntilItsRetryExists_WhileOtherStatesAreJustKept()
    {
        var world = new PlanningCase(("DR_REGION", PlanningCase.Dr));
        var first = world.AddBackup("ami-0000000000000001", Now.AddDays(-2), policy: "keep-last=5");
        var second = world.AddBackup("ami-0000000000000002", Now.AddDays(-1), policy: "keep-last=5");
        world.AddCopy("ami-0000000000000081", first, Now, state: ImageStates.Failed);
        world.AddCopy("ami-0000000000000082", second, Now, state: ImageStates.Disabled);

        var plan = world.Build();

        Assert.Contains("ami-0000000000000081: failed copy; kept until its retry copy exists", Kept(plan));
        Assert.Contains("ami-0000000000000082: image is disabled", Kept(plan));
    }

    [Fact]
    public void Retention_WhenARecordedPolicyIsInvalid_FailsLoudly_AndKeepsTheBackups()
    {
        var world = new PlanningCase();
        world.AddBackup("ami-0000000000000001", Now.AddDays(-2), policy: "keep-bogus=1");
        world.AddBackup("ami-0000000000000002", Now.AddDays(-1), policy: "keep-bogus=1");

        var plan = world.Build();

        Assert.Empty(plan.Retirements);
        var failure = Assert.Single(plan.Failures);
        Assert.StartsWith("retention: its recorded ami-rotator:policy is invalid (retention policy 'keep-bogus=1': unknown key 'keep-bogus'", failure.Error, StringComparison.Ordinal);
        Assert.EndsWith("); the backups it concerns were kept", failure.Error, StringComparison.Ordinal);
        Assert.All(plan.Kept, k => Assert.StartsWith("its recorded ami-rotator:policy is invalid", Assert.Single(k.Reasons), StringComparison.Ordinal));
    }

    [Fact]
    public void Retention_WhenNoPolicyIsRecorded_JudgesByTheInstancesSourcePolicy_ElseKeepsWithoutFailing()
    {
        var world = new PlanningCase(("RETENTION", "keep-last=1"), ("DR_REGION", PlanningCase.Dr), ("DR_RETENTION", "keep-last=5"));
        world.AddInstance();
        world.AddBackup("ami-0000000000000001", Now.AddDays(-2), policy: null);
        world.AddBackup("ami-0000000000000002", Now.AddDays(-1), policy: null);
        world.AddBackup("ami-0000000000000003", Now.AddDays(-2), policy: null, instanceId: Other);
        world.AddBackup("ami-0000000000000004", Now.AddDays(-1), policy: null, instanceId: Other);

        var plan = world.Build();

        Assert.Equal(["ami-0000000000000001"], plan.Retirements.Select(r => r.ImageId));
        Assert.Empty(plan.Failures);
        Assert.Contains($"ami-0000000000000003: no recorded policy, and {Other} is gone or no longer tagged Backup=true: kept until a policy is recorded on it", Kept(plan));
    }

    [Fact]
    public void Retention_WhenNoPolicyIsRecordedAndTheInstancesOverrideIsInvalid_FailsLoudly()
    {
        var world = new PlanningCase();
        world.AddInstance(retention: "bogus");
        world.AddBackup("ami-0000000000000001", Now.AddDays(-2), policy: null);
        world.AddBackup("ami-0000000000000002", Now.AddDays(-1), policy: null);

        var plan = world.Build();

        Assert.Empty(plan.Retirements);
        Assert.StartsWith($"retention: tag ami-rotator:retention='bogus' on {InstanceId} is invalid (retention policy 'bogus': ", Assert.Single(plan.Failures).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Retention_NeverJudgesAManagedImageWithoutOurName()
    {
        var world = new PlanningCase();
        world.AddBackup("ami-0000000000000001", Now.AddDays(-2), name: "golden-image");
        world.AddBackup("ami-0000000000000002", Now.AddDays(-1));

        var plan = world.Build();

        Assert.Empty(plan.Retirements);
        Assert.DoesNotContain(plan.Kept, k => k.ImageId == "ami-0000000000000001");
    }

    [Fact]
    public void Budget_WhenExceeded_RetiresNothing_AndSaysWhichRegionsInOrder()
    {
        var world = new PlanningCase(("MAX_RETIRE_PER_RUN", "1"), ("DR_REGION", PlanningCase.Dr));
        var sources = Enumerable.Range(1, 3).Select(n => world.AddBackup($"ami-000000000000000{n}", Now.AddDays(-n))).ToList();
        foreach (var source in sources)
        {
            world.AddCopy($"ami-000000000000008{sources.IndexOf(source) + 1}", source, source.CreationDate);
        }

        var plan = world.Build();

        Assert.Empty(plan.Retirements);
        Assert.Equal(
            "The plan would retire 2 images in eu-central-1 but MAX_RETIRE_PER_RUN allows 1 and 2 images in eu-west-1 but MAX_RETIRE_PER_RUN allows 1; nothing was retired. " +
            "Check RETENTION/DR_RETENTION and ami-rotator:retention tags, then raise MAX_RETIRE_PER_RUN for one run if the plan is right.",
            plan.BudgetExceeded);
        Assert.Equal(4, plan.Kept.Count(k => k.Reasons.SequenceEqual(["deletion budget exceeded"])));
    }

    [Fact]
    public void Budget_WhenTheCandidatesExactlyFillIt_RetiresThem()
    {
        var world = new PlanningCase(("MAX_RETIRE_PER_RUN", "2"));
        Enumerable.Range(1, 3).ToList().ForEach(n => world.AddBackup($"ami-000000000000000{n}", Now.AddDays(-n)));

        var plan = world.Build();

        Assert.Null(plan.BudgetExceeded);
        Assert.Equal(2, plan.Retirements.Count);
    }

    [Fact]
    public void Budget_WhenTheAutomaticBudgetOfTheDrRegionIsExceeded_CountsThatRegionsInstances()
    {
        // Three instances back up in the source (budget 16); only one has copies in the DR Region (budget 12).
        var world = new PlanningCase(("DR_REGION", PlanningCase.Dr));
        world.AddBackup("ami-0000000000000101", Now.AddDays(-1), instanceId: Other);
        world.AddBackup("ami-0000000000000102", Now.AddDays(-1), instanceId: "i-01234567");
        for (var n = 10; n < 24; n++)
        {
            var source = world.AddBackup($"ami-00000000000000{n}", Now.AddDays(-n), policy: "keep-last=20");
            world.AddCopy($"ami-00000000000008{n}", source, source.CreationDate);
        }

        var plan = world.Build();

        Assert.Empty(plan.Retirements);
        Assert.Equal(
            "The plan would retire 13 images in eu-central-1 but MAX_RETIRE_PER_RUN allows 12 (auto: 10 + 2 per instance with backups in that Region); nothing was retired. " +
            "Check RETENTION/DR_RETENTION and ami-rotator:retention tags, then raise MAX_RETIRE_PER_RUN for one run if the plan is right.",
            plan.BudgetExceeded);
    }

    [Fact]
    public void Adoption_WhenInstancesCouldNotBeRead_AdoptsNothing()
    {
        var world = new PlanningCase();
        world.AddInstance();
        world.AddBackup("ami-0000000000000001", Now.AddDays(-1), owner: null);
        world.Unread.Add(InventoryPart.Instances);

        Assert.Empty(world.Build().Adoptions);
    }

    [Fact]
    public void Adoption_AdoptsLegacyBackupsOfTaggedInstances_WithThePoliciesTheyHaveNow_AndKeepsTheOthers()
    {
        var world = new PlanningCase(("RETENTION", "keep-last=3"), ("DR_REGION", PlanningCase.Dr), ("DR_RETENTION", "keep-daily=7"));
        world.AddInstance();
        world.AddInstance(Other, tagged: false);
        var legacy = world.AddBackup("ami-0000000000000001", Now.AddDays(-1), owner: null, policy: null);
        world.AddBackup("ami-0000000000000002", Now.AddDays(-1), owner: null, policy: null, instanceId: Other);
        world.AddCopy("ami-0000000000000081", legacy, Now, owner: null, policy: null);

        var plan = world.Build();

        var tags = plan.Adoptions.ToDictionary(a => a.Subject, a => string.Join(",", a.Tags.Select(t => $"{t.Key}={t.Value}")));
        Assert.Equal(
            $"{ManagedTags.DrPolicy}=keep-daily=7,{ManagedTags.Owner}={PlanningCase.Owner},{ManagedTags.Policy}=keep-last=3",
            tags["ami-0000000000000001"]);
        Assert.Equal($"{ManagedTags.Owner}={PlanningCase.Owner},{ManagedTags.Policy}=keep-daily=7", tags["ami-0000000000000081"]);
        Assert.Equal(2, tags.Count);
        Assert.Contains(
            $"ami-0000000000000002: made before owners were recorded, and its instance is gone or no longer tagged Backup=true: not adopted; kept until adopted by hand (README, \"Upgrading\")",
            Kept(plan));
    }

    [Fact]
    public void Adoption_WithoutADrRegion_RecordsNoDrPolicy()
    {
        var world = new PlanningCase(("RETENTION", "keep-last=3"));
        world.AddInstance();
        world.AddBackup("ami-0000000000000001", Now.AddDays(-1), owner: null, policy: null);

        var adoption = Assert.Single(world.Build().Adoptions);

        Assert.Equal([ManagedTags.Owner, ManagedTags.Policy], adoption.Tags.Keys);
    }

    [Fact]
    public void Sweep_DeletesOrphansInSnapshotIdOrder_OnlyOfTheInstancesThePassCovers()
    {
        var world = new PlanningCase();
        world.AddOrphan("snap-0002", Now.AddDays(-1));
        world.AddOrphan("snap-0001", Now.AddDays(-1));
        world.AddOrphan("snap-0003", Now.AddDays(-1), instanceId: Other);

        Assert.Equal(["snap-0001", "snap-0002", "snap-0003"], world.Build().SnapshotDeletions.Select(d => d.SnapshotId));
        var scoped = PlanningCase.Prune with { InstanceIds = new HashSet<string>(StringComparer.Ordinal) { InstanceId } };
        Assert.Equal(["snap-0001", "snap-0002"], world.Build(scoped).SnapshotDeletions.Select(d => d.SnapshotId));
    }

    [Fact]
    public void Sweep_CallsASnapshotAnOrphanFromExactlyTheGracePeriodOn()
    {
        // EC2's listings are eventually consistent: a younger snapshot may belong to an image not listed yet.
        var world = new PlanningCase();
        world.AddOrphan("snap-0001", Now - SweepStep.OrphanGrace);
        world.AddOrphan("snap-0002", Now - SweepStep.OrphanGrace + TimeSpan.FromSeconds(1));

        Assert.Equal(["snap-0001"], world.Build().SnapshotDeletions.Select(d => d.SnapshotId));
    }

    [Fact]
    public void Sweep_WhenAnOrphanIsLocked_OrLocksCouldNotBeRead_KeepsIt_SayingWhy()
    {
        var world = new PlanningCase();
        world.AddOrphan("snap-0001", Now.AddDays(-1));
        world.SourceLocks["snap-0001"] = new SnapshotLock("snap-0001", "compliance", Now.AddDays(5));

        var locked = world.Build();

        Assert.Empty(locked.SnapshotDeletions);
        Assert.Equal("orphan kept: snapshot snap-0001 locked (compliance) until 2026-12-01T03:00:00Z; deleted after the lock expires", Assert.Single(locked.Skipped).Reason);

        world.SourceLocks.Clear();
        world.Unread.Add(InventoryPart.SourceLocks);
        var unread = world.Build();
        Assert.Empty(unread.SnapshotDeletions);
        Assert.Equal("orphan kept: the Region's snapshot locks could not be read", Assert.Single(unread.Skipped).Reason);
    }

    [Fact]
    public void Deprecation_DeprecatesSourceBackupsFromExactlyTheSetAge_InImageIdOrder()
    {
        var world = new PlanningCase(("DEPRECATE_AFTER_DAYS", "30"), ("RETENTION", "keep-last=5"));
        world.AddBackup("ami-0000000000000003", Now.AddDays(-31), policy: "keep-last=5");
        world.AddBackup("ami-0000000000000002", Now.AddDays(-30), policy: "keep-last=5");
        world.AddBackup("ami-0000000000000001", Now.AddDays(-29), policy: "keep-last=5");

        var deprecations = world.Build().Deprecations!;

        Assert.Equal(["ami-0000000000000002", "ami-0000000000000003"], deprecations.Select(d => d.ImageId));
        Assert.All(deprecations, d => Assert.Equal(Now.AddMinutes(2), d.DeprecateAt));
        Assert.Equal("taken 2026-10-27T03:00:00Z, more than DEPRECATE_AFTER_DAYS=30 days ago", deprecations[0].Reason);
    }

    [Fact]
    public void Deprecation_DeprecatesOldDrCopiesToo()
    {
        var world = new PlanningCase(("DEPRECATE_AFTER_DAYS", "30"), ("RETENTION", "keep-last=5"), ("DR_REGION", PlanningCase.Dr), ("DR_RETENTION", "keep-last=5"));
        var source = world.AddBackup("ami-0000000000000001", Now.AddDays(-31), policy: "keep-last=5");
        world.AddCopy("ami-0000000000000081", source, Now.AddDays(-31), policy: "keep-last=5");

        var deprecations = world.Build().Deprecations!;

        Assert.Equal([(PlanningCase.Source, "ami-0000000000000001"), (PlanningCase.Dr, "ami-0000000000000081")], deprecations.Select(d => (d.Region, d.ImageId)));
    }
}
