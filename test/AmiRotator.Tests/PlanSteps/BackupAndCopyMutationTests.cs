using AmiRotator.Inventory;
using AmiRotator.Planning;
using Xunit;

namespace AmiRotator.Tests.PlanSteps;

/// <summary>
/// Steps 1 and 2 on hand-written inventories, for the rules mutation testing found unguarded: when a backup already
/// exists (by name, by scheduled time, or a manual one minutes ago), which instances an on-demand backup reaches, what
/// a backup and a copy record, and how copies share the copies-in-flight limit and retry a failed copy.
/// </summary>
public sealed class BackupAndCopyMutationTests
{
    private const string InstanceId = PlanningCase.InstanceId;
    private const string Other = "i-0fedcba9876543210";
    private static readonly DateTimeOffset Now = PlanningCase.Now;

    private static PassScope Manual(string? token = null, params string[] instanceIds) =>
        new(Backup: true, Copy: false, Prune: false, Now, InstanceIds: instanceIds.Length == 0 ? null : instanceIds.ToHashSet(StringComparer.Ordinal), RequestId: "req-1", IdempotencyToken: token);

    [Fact]
    public void Backup_WhenInstancesCouldNotBeRead_PlansNone()
    {
        var world = new PlanningCase();
        world.AddInstance();
        world.Unread.Add(InventoryPart.Instances);

        Assert.Empty(world.Build(PlanningCase.Scheduled).Backups);
    }

    [Fact]
    public void Backup_WhenTaggedInstancesHaveNone_BacksEachUpInOrder_SayingForWhichTime()
    {
        var world = new PlanningCase(("RETENTION", "keep-last=3"), ("DR_REGION", PlanningCase.Dr), ("DR_RETENTION", "keep-daily=7"));
        world.AddInstance(Other, name: "db");
        world.AddInstance(InstanceId);

        var backups = world.Build(PlanningCase.Scheduled).Backups;

        Assert.Equal([InstanceId, Other], backups.Select(b => b.InstanceId));
        Assert.All(backups, b => Assert.Equal("no backup yet for 2026-11-26T03:00:00Z", b.Reason));
        Assert.Equal(BackupNaming.Scheduled(InstanceId, Now, PlanningCase.Owner), backups[0].Name);
        Assert.Equal($"AmiRotator backup of {InstanceId}", backups[0].Description);
        Assert.Equal($"AmiRotator backup of {Other} (db)", backups[1].Description);
        Assert.Equal("keep-last=3", backups[0].Tags[ManagedTags.Policy]);
        Assert.Equal("keep-daily=7", backups[0].Tags[ManagedTags.DrPolicy]);
    }

    [Fact]
    public void Backup_WhenAnImageAlreadyHasItsName_SkipsIt_EvenIfTheImageIsNotOurs()
    {
        var world = new PlanningCase();
        world.AddInstance();
        var name = BackupNaming.Scheduled(InstanceId, Now, PlanningCase.Owner);
        world.SourceImages.Add(new Ec2Image("ami-0000000000000009", PlanningCase.Source, name, ImageStates.Pending, PlanningCase.Account, Now, new Dictionary<string, string>(), []));

        var plan = world.Build(PlanningCase.Scheduled);

        Assert.Empty(plan.Backups);
        Assert.Equal($"backup {name} already exists (ami-0000000000000009, pending)", Assert.Single(plan.Skipped).Reason);
    }

    [Fact]
    public void Backup_WhenTheImageWithItsNameIsDeregistered_BacksUpAgain()
    {
        var world = new PlanningCase();
        world.AddInstance();
        var name = BackupNaming.Scheduled(InstanceId, Now, PlanningCase.Owner);
        world.SourceImages.Add(new Ec2Image("ami-0000000000000009", PlanningCase.Source, name, ImageStates.Deregistered, PlanningCase.Account, Now, new Dictionary<string, string>(), []));

        Assert.Equal(name, Assert.Single(world.Build(PlanningCase.Scheduled).Backups).Name);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Backup_WhenABackupOfOursOrALegacyOneRecordsTheScheduledTime_SkipsIt(bool legacy)
    {
        var world = new PlanningCase();
        world.AddInstance();
        world.AddBackup("ami-0000000000000001", Now, owner: legacy ? null : PlanningCase.Owner, tags: [(ManagedTags.ScheduledTime, "2026-11-26T03:00:00Z")]);

        var plan = world.Build(PlanningCase.Scheduled);

        Assert.Empty(plan.Backups);
        Assert.Equal($"backup ami-rotator-{InstanceId}-ami-0000000000000001 (ami-0000000000000001) already exists for 2026-11-26T03:00:00Z", Assert.Single(plan.Skipped).Reason);
    }

    [Fact]
    public void Backup_WhenManual_IsNamedAfterTheRequest_AndSaysItIsOnDemand()
    {
        var world = new PlanningCase();
        world.AddInstance();

        var backup = Assert.Single(world.Build(Manual()).Backups);

        Assert.Equal(BackupNaming.Manual(InstanceId, Now, PlanningCase.Owner, "req-1"), backup.Name);
        Assert.Equal("on-demand backup", backup.Reason);
    }

    [Theory]
    [InlineData(14, false)]
    [InlineData(15, true)]
    [InlineData(16, true)]
    public void Backup_WhenManualWithoutToken_HoldsBackOnlyWithinTheManualRunWindow(int minutesAgo, bool backsUp)
    {
        var world = new PlanningCase();
        world.AddInstance();
        world.AddBackup("ami-0000000000000001", Now.AddMinutes(-minutesAgo));

        Assert.Equal(backsUp ? 1 : 0, world.Build(Manual()).Backups.Count);
    }

    [Fact]
    public void Backup_WhenManualWithoutToken_NamesTheNewestRecentBackupAndHowLongAgo()
    {
        var world = new PlanningCase();
        world.AddInstance();
        world.AddBackup("ami-0000000000000001", Now.AddMinutes(-10));
        world.AddBackup("ami-0000000000000002", Now.AddMinutes(-5));
        world.AddBackup("ami-0000000000000003", Now.AddMinutes(-1), state: ImageStates.Failed);

        var skip = Assert.Single(world.Build(Manual()).Skipped);

        Assert.Equal(
            "backed up 5 min ago (ami-0000000000000002): a manual backup without an idempotencyToken is not repeated within 15 minutes, " +
            "so a retried invocation makes no second backup; pass a new idempotencyToken to back up again",
            skip.Reason);
    }

    [Fact]
    public void Backup_WhenManualWithAToken_BacksUpEvenMinutesAfterAnother()
    {
        var world = new PlanningCase();
        world.AddInstance();
        world.AddBackup("ami-0000000000000001", Now.AddMinutes(-5));

        Assert.Single(world.Build(Manual(token: "change-4711")).Backups);
    }

    [Fact]
    public void Backup_WhenOnDemand_HoldsBackOnlyAfterAManualBackup_NotAScheduledOne()
    {
        var world = new PlanningCase();
        world.AddInstance();
        world.AddInstance(Other);
        world.AddBackup("ami-0000000000000001", Now.AddMinutes(-5));
        world.AddBackup("ami-0000000000000002", Now.AddMinutes(-5), instanceId: Other, name: $"ami-rotator-{Other}-manual-0123456789ab-o01234567");

        var plan = world.Build(Manual(null, InstanceId, Other));

        Assert.Equal([InstanceId], plan.Backups.Select(b => b.InstanceId));
        Assert.Equal([Other], plan.Skipped.Select(s => s.Subject));
    }

    [Fact]
    public void Backup_WhenOnDemandNamesMissingInstances_FailsEachInOrder_AndBacksUpTheOthersInOrder()
    {
        var world = new PlanningCase();
        world.AddInstance(Other, tagged: false);
        world.AddInstance(InstanceId, tagged: false);

        var plan = world.Build(Manual(null, Other, "i-0000000000000000b", InstanceId, "i-0000000000000000a"));

        Assert.Equal([InstanceId, Other], plan.Backups.Select(b => b.InstanceId));
        Assert.Equal(["i-0000000000000000a", "i-0000000000000000b"], plan.Failures.Select(f => f.Subject));
        Assert.Equal("instance i-0000000000000000a was not found in eu-west-1", plan.Failures[0].Error);
    }

    [Fact]
    public void Backup_WhenAScheduledPassNamesMissingInstances_SkipsEachInOrder()
    {
        var world = new PlanningCase();
        world.AddInstance();
        var scope = new PassScope(Backup: true, Copy: true, Prune: false, Now, ScheduledTime: Now, InstanceIds: new HashSet<string>(StringComparer.Ordinal) { InstanceId, "i-0000000000000000b", "i-0000000000000000a" });

        var plan = world.Build(scope);

        Assert.Equal([InstanceId], plan.Backups.Select(b => b.InstanceId));
        Assert.Equal(["i-0000000000000000a", "i-0000000000000000b"], plan.Skipped.Select(s => s.Subject));
        Assert.Equal("not a tagged (Backup=true) running or stopped instance in eu-west-1", plan.Skipped[0].Reason);
    }

    [Fact]
    public void Backup_WhenTheInstanceNameIsLong_CutsItSoTheDescriptionFitsEc2sLimit()
    {
        var prefix = $"AmiRotator backup of {InstanceId}";
        var room = NewImages.MaxDescriptionLength - prefix.Length - 3;
        var world = new PlanningCase();
        world.AddInstance(InstanceId, name: new string('a', room));
        world.AddInstance(Other, name: new string('b', room + 1));

        var backups = world.Build(PlanningCase.Scheduled).Backups;

        Assert.Equal($"{prefix} ({new string('a', room)})", backups[0].Description);
        Assert.Equal($"AmiRotator backup of {Other} ({new string('b', room - 3)}...)", backups[1].Description);
        Assert.All(backups, b => Assert.Equal(NewImages.MaxDescriptionLength, b.Description.Length));
    }

    [Fact]
    public void Backup_WhenTheInstanceIdLeavesNoRoomForItsName_DescribesItWithoutOne()
    {
        // 255 characters hold the prefix, " ()" and three more: too few to show any of the name.
        var longId = "i-" + new string('0', NewImages.MaxDescriptionLength - "AmiRotator backup of ".Length - 3 - 3 - 2);
        var settings = new PlanningCase().Settings();
        var instance = new Ec2Instance(longId, "running", new Dictionary<string, string> { [ManagedTags.Name] = "web" });

        Assert.Equal($"AmiRotator backup of {longId}", NewImages.Backup(settings, instance, "name", Now, "why").Description);
    }

    [Fact]
    public void Copy_PlansOneForEachBackupWithoutAHealthyCopy_NotCountingCopiesThatAreNotOurs()
    {
        var world = CopyWorld();
        var backup = world.AddBackup("ami-0000000000000001", Now.AddDays(-1), policy: "keep-last=5");
        var notOurs = new Dictionary<string, string>
        {
            [ManagedTags.Managed] = ManagedTags.ManagedValue,
            [ManagedTags.SourceImageId] = backup.ImageId,
            [ManagedTags.SourceRegion] = PlanningCase.Source,
        };
        world.DrImages.Add(new Ec2Image("ami-0000000000000091", PlanningCase.Dr, "unmanaged", ImageStates.Available, PlanningCase.Account, Now, new Dictionary<string, string>(notOurs) { [ManagedTags.Managed] = "no" }, []));
        world.DrImages.Add(new Ec2Image("ami-0000000000000092", PlanningCase.Dr, "foreign", ImageStates.Available, "210987654321", Now, notOurs, []));
        world.DrImages.Add(new Ec2Image("ami-0000000000000093", PlanningCase.Dr, "other Region's", ImageStates.Available, PlanningCase.Account, Now, new Dictionary<string, string>(notOurs) { [ManagedTags.SourceRegion] = "us-west-2" }, []));

        var copy = Assert.Single(world.Build(PlanningCase.Copy).Copies);

        Assert.Equal(backup.ImageId, copy.SourceImageId);
        Assert.Equal("no copy in eu-central-1 yet", copy.Reason);
        Assert.Equal($"AmiRotator DR copy of {backup.ImageId} from eu-west-1", copy.Description);
    }

    [Fact]
    public void Copy_WhenAvailableCopiesFillTheLimit_StillCopies_OnlyPendingOnesAreInFlight()
    {
        var world = CopyWorld(("MAX_COPIES_IN_FLIGHT", "1"));
        var done = world.AddBackup("ami-0000000000000001", Now.AddDays(-2), policy: "keep-last=5");
        world.AddCopy("ami-0000000000000081", done, Now.AddDays(-2), policy: "keep-last=5");
        world.AddBackup("ami-0000000000000002", Now.AddDays(-1), policy: "keep-last=5");

        Assert.Equal(["ami-0000000000000002"], world.Build(PlanningCase.Copy).Copies.Select(c => c.SourceImageId));
    }

    [Fact]
    public void Copy_WhenTheLimitIsReached_DefersTheOlderBackups_NewestFirst()
    {
        var world = CopyWorld(("MAX_COPIES_IN_FLIGHT", "2"));
        var inFlight = world.AddBackup("ami-0000000000000001", Now.AddDays(-9), policy: "keep-last=5");
        world.AddCopy("ami-0000000000000081", inFlight, Now, state: ImageStates.Pending);
        world.AddBackup("ami-0000000000000002", Now.AddDays(-3), policy: "keep-last=5");
        world.AddBackup("ami-0000000000000003", Now.AddDays(-1), policy: "keep-last=5");

        var plan = world.Build(PlanningCase.Copy);

        Assert.Equal(["ami-0000000000000003"], plan.Copies.Select(c => c.SourceImageId));
        Assert.Equal(["ami-0000000000000002"], plan.CopiesWaiting);
        Assert.Equal("copy deferred: 2 copies in flight in eu-central-1 (MAX_COPIES_IN_FLIGHT=2); the next pass or AMI event copies it", Assert.Single(plan.Skipped).Reason);
    }

    [Fact]
    public void Copy_WhenBackupsAreEquallyOld_CopiesTheLowerImageIdFirst()
    {
        var world = CopyWorld(("MAX_COPIES_IN_FLIGHT", "1"));
        world.AddBackup("ami-0000000000000002", Now.AddDays(-1), policy: "keep-last=5");
        world.AddBackup("ami-0000000000000001", Now.AddDays(-1), policy: "keep-last=5");

        Assert.Equal(["ami-0000000000000001"], world.Build(PlanningCase.Copy).Copies.Select(c => c.SourceImageId));
    }

    [Fact]
    public void Copy_WhenSeveralInvocationsCopy_TakesOnlyItsShareOfTheFreeSlots()
    {
        var world = CopyWorld(("MAX_COPIES_IN_FLIGHT", "5"), ("COPY_WRITERS", "2"));
        var inFlight = world.AddBackup("ami-0000000000000001", Now.AddDays(-9), policy: "keep-last=9");
        world.AddCopy("ami-0000000000000081", inFlight, Now, state: ImageStates.Pending);
        world.AddBackup("ami-0000000000000002", Now.AddDays(-3), policy: "keep-last=9");
        world.AddBackup("ami-0000000000000003", Now.AddDays(-2), policy: "keep-last=9");
        world.AddBackup("ami-0000000000000004", Now.AddDays(-1), policy: "keep-last=9");

        var plan = world.Build(PlanningCase.Copy);

        // (5 - 1 in flight) / 2 writers = 2 slots.
        Assert.Equal(["ami-0000000000000004", "ami-0000000000000003"], plan.Copies.Select(c => c.SourceImageId));
        Assert.Equal(
            "copy deferred: 3 copies in flight in eu-central-1 (MAX_COPIES_IN_FLIGHT=5, this invocation's share of it 2 of 2 copying at once); the next pass or AMI event copies it",
            Assert.Single(plan.Skipped).Reason);
    }

    [Fact]
    public void Copy_WhenThreeCopiesFailed_StopsRetrying_AndFailsLoudly()
    {
        var world = CopyWorld();
        var backup = world.AddBackup("ami-0000000000000001", Now.AddDays(-1), policy: "keep-last=5");
        for (var n = 1; n <= CopyStep.MaxCopyAttempts; n++)
        {
            world.AddCopy($"ami-000000000000008{n}", backup, Now.AddHours(-n), state: ImageStates.Failed);
        }

        var plan = world.Build(PlanningCase.Copy);

        Assert.Empty(plan.Copies);
        Assert.Equal(
            "3 copies of ami-0000000000000001 to eu-central-1 failed; not retried again (check DR_KMS_KEY_ID and the key policy); pin or deregister the failed copies to retry",
            Assert.Single(plan.Failures).Error);
    }

    [Fact]
    public void Copy_WhenEarlierCopiesFailed_RetriesUnderTheNameOfTheNewestFailure()
    {
        var world = CopyWorld();
        var backup = world.AddBackup("ami-0000000000000001", Now.AddDays(-1), policy: "keep-last=5");
        world.AddCopy("ami-0000000000000081", backup, Now.AddHours(-5), state: ImageStates.Failed);
        world.AddCopy("ami-0000000000000082", backup, Now.AddHours(-2), state: ImageStates.Failed);

        var copy = Assert.Single(world.Build(PlanningCase.Copy).Copies);

        Assert.Equal($"{backup.Name}-retry-0000000000000082", copy.Name);
        Assert.Equal("earlier copy ami-0000000000000082 failed", copy.Reason);
    }

    [Fact]
    public void Copy_WhenFailedCopiesAreEquallyOld_RetriesAfterTheLowerImageId()
    {
        var world = CopyWorld();
        var backup = world.AddBackup("ami-0000000000000001", Now.AddDays(-1), policy: "keep-last=5");
        world.AddCopy("ami-0000000000000082", backup, Now.AddHours(-2), state: ImageStates.Failed);
        world.AddCopy("ami-0000000000000081", backup, Now.AddHours(-2), state: ImageStates.Failed);

        Assert.Equal("earlier copy ami-0000000000000081 failed", Assert.Single(world.Build(PlanningCase.Copy).Copies).Reason);
    }

    [Fact]
    public void Copy_WhenTheSourceIsPending_WaitsForIt_AndAFailedSourceIsNotWaitedFor()
    {
        var world = CopyWorld();
        world.AddBackup("ami-0000000000000001", Now, state: ImageStates.Pending, policy: "keep-last=5");
        world.AddBackup("ami-0000000000000002", Now.AddDays(-1), state: ImageStates.Failed, policy: "keep-last=5");

        var plan = world.Build(PlanningCase.Copy);

        Assert.Empty(plan.Copies);
        Assert.Equal(["ami-0000000000000001"], plan.CopiesWaiting);
        Assert.Equal(["ami-0000000000000001"], plan.SourcesPending);
        Assert.Equal(["source image is pending; copied once available", "source image is failed; copied once available"], plan.Skipped.Select(s => s.Reason));
    }

    [Fact]
    public void Copy_RecordsTheDrPolicyTheSourceRecorded_ElseItsInstancesOverride_ElseTheSetting()
    {
        var world = CopyWorld(("DR_RETENTION", "keep-daily=30"));
        world.AddInstance(Other, retention: "keep-daily=9");
        world.AddBackup("ami-0000000000000001", Now.AddDays(-1), policy: "keep-last=5", tags: [(ManagedTags.DrPolicy, "keep-daily=3")]);
        world.AddBackup("ami-0000000000000002", Now.AddDays(-1), policy: "keep-last=5");
        world.AddBackup("ami-0000000000000003", Now.AddDays(-1), policy: "keep-last=5", instanceId: Other);

        var policies = world.Build(PlanningCase.Copy).Copies.ToDictionary(c => c.SourceImageId, c => c.Tags.GetValueOrDefault(ManagedTags.Policy));

        Assert.Equal("keep-daily=3", policies["ami-0000000000000001"]);
        Assert.Equal("keep-daily=30", policies["ami-0000000000000002"]);
        Assert.Equal("keep-daily=9", policies["ami-0000000000000003"]);
    }

    [Fact]
    public void Copy_WhenTheSourcesOwnPolicyRetiresIt_DoesNotCopyIt_UnlessItIsPinned()
    {
        // Without a recorded policy the source is judged by RETENTION (keep-last=1), the DR side by DR_RETENTION.
        var world = CopyWorld(("RETENTION", "keep-last=1"), ("DR_RETENTION", "keep-last=5"));
        world.AddInstance();
        world.AddBackup("ami-0000000000000001", Now.AddDays(-3), policy: null);
        world.AddBackup("ami-0000000000000002", Now.AddDays(-2), policy: null, tags: [(ManagedTags.Keep, "true")]);
        world.AddBackup("ami-0000000000000003", Now.AddDays(-1), policy: null);
        var scope = PlanningCase.Copy with { ImageIds = new HashSet<string>(StringComparer.Ordinal) { "ami-0000000000000001", "ami-0000000000000002", "ami-0000000000000003" } };

        var plan = world.Build(scope);

        Assert.Equal(["ami-0000000000000003", "ami-0000000000000002"], plan.Copies.Select(c => c.SourceImageId));
        Assert.Equal("not copied: retention keep-last=1 retires it in eu-west-1", Assert.Single(plan.Skipped).Reason);
    }

    private static PlanningCase CopyWorld(params (string Name, string Value)[] environment) =>
        new([("DR_REGION", PlanningCase.Dr), ("RETENTION", "keep-last=5"), ("DR_RETENTION", "keep-last=5"), .. environment]);
}
