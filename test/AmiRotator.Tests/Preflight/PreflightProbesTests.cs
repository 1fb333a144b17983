using AmiRotator.Configuration;
using AmiRotator.Ec2;
using AmiRotator.Inventory;
using AmiRotator.Planning;
using AmiRotator.Preflight;
using Xunit;

namespace AmiRotator.Tests.Preflight;

/// <summary>What the preflight sends, chosen from what it read: the real requests of a pass, against real resources.</summary>
public sealed class PreflightProbesTests
{
    private const string Account = "123456789012";
    private const string Home = "eu-west-1";
    private const string Dr = "eu-central-1";
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static Settings SettingsFor(string? drKey = null) => Settings.FromEnvironment(name => name switch
    {
        "AWS_REGION" => Home,
        "DR_REGION" => Dr,
        "DR_KMS_KEY_ID" => drKey,
        _ => null,
    });

    [Fact]
    public void Plan_WhenABackupAndItsCopyExist_ProbesEveryMutationAgainstThem()
    {
        var older = Backup("ami-00000000000000001", Now.AddDays(-2), ["snap-00000000000000001"]);
        var newer = Backup("ami-00000000000000002", Now.AddDays(-1), ["snap-00000000000000002"]);
        var copy = Copy("ami-0000000000000000c", older, ["snap-0000000000000000c"]);
        var inventory = Inventory(
            [Instance("i-00000000000000002"), Instance("i-00000000000000001"), Instance("i-0000000000000000f", tagged: false)],
            [newer, older], [ManagedSnapshot("snap-00000000000000001"), ManagedSnapshot("snap-00000000000000002")],
            [copy], [ManagedSnapshot("snap-0000000000000000c", Dr, fromRegion: Home)]);

        var probes = PreflightProbes.Plan(SettingsFor(), inventory, Now, "req-1");

        Assert.Equal(
            [
                ("ec2:CreateImage", Home, "i-00000000000000001"),
                ("ec2:CopyImage", Dr, newer.ImageId),
                ("ec2:DeregisterImage", Home, older.ImageId),
                ("ec2:DeleteSnapshot", Home, "snap-00000000000000001"),
                ("ec2:DeregisterImage", Dr, copy.ImageId),
                ("ec2:DeleteSnapshot", Dr, "snap-0000000000000000c"),
            ],
            probes.Select(p => (p.Permission, p.Region, p.Subject)));
        Assert.All(probes, p => Assert.NotNull(p.Request));
    }

    [Fact]
    public void Plan_WhenProbingCreateAndCopy_SendsThePlannersTagsUnderNamesAndTokensOfItsOwn()
    {
        var settings = SettingsFor(drKey: "alias/dr");
        var backup = Backup("ami-00000000000000001", Now.AddDays(-1), ["snap-00000000000000001"]);
        var inventory = Inventory([Instance("i-00000000000000001")], [backup], [], [], []);

        var probes = PreflightProbes.Plan(settings, inventory, Now, "req-1");

        var create = Assert.IsType<DryRunCreateImage>(probes.Single(p => p.Permission == "ec2:CreateImage").Request).Backup;
        var nightly = NewImages.Backup(settings, inventory.Instances[0], create.Name, Now, "ignored");
        Assert.Equal(nightly.Tags, create.Tags);
        Assert.Equal(BackupNaming.Manual("i-00000000000000001", Now, settings.Owner, idempotencyToken: "preflight:req-1"), create.Name);

        var copy = Assert.IsType<DryRunCopyImage>(probes.Single(p => p.Permission == "ec2:CopyImage").Request).Copy;
        Assert.Equal("alias/dr", copy.KmsKeyId);
        Assert.Equal(backup.ImageId, copy.Tags[ManagedTags.SourceImageId]);
        Assert.Equal(ManagedTags.ManagedValue, copy.Tags[ManagedTags.Managed]);
        Assert.Equal($"{backup.Name}-preflight", copy.Name);
        Assert.NotEqual(BackupNaming.CopyToken(backup.ImageId, Dr, "alias/dr", null), copy.ClientToken);
    }

    [Fact]
    public void Plan_WhenTheOnlyBackupsArePinnedOrPending_LeavesDeregisterUntested()
    {
        var pinned = Backup("ami-00000000000000001", Now.AddDays(-2), [], pinned: true);
        var pending = Backup("ami-00000000000000002", Now.AddDays(-1), [], state: ImageStates.Pending);
        var inventory = Inventory([], [pinned, pending], [], [], []);

        var probes = PreflightProbes.Plan(SettingsFor(), inventory, Now, "req-1");

        var deregister = probes.Single(p => p.Permission == "ec2:DeregisterImage" && p.Region == Home);
        Assert.Null(deregister.Request);
        Assert.Equal($"no unpinned managed backup in {Home} yet", deregister.Untested);
        Assert.Equal("no running or stopped instance tagged Backup=true in eu-west-1", probes.Single(p => p.Permission == "ec2:CreateImage").Untested);
        // Copying a pinned backup is what a night does too.
        Assert.Equal(pinned.ImageId, probes.Single(p => p.Permission == "ec2:CopyImage").Subject);
    }

    [Fact]
    public void Plan_WhenTheDrRegionHoldsAnotherRegionsCopies_NeverProbesThem()
    {
        var foreignSource = Backup("ami-00000000000000009", Now.AddDays(-1), [], region: "us-west-2");
        var foreign = Copy("ami-0000000000000000f", foreignSource, ["snap-0000000000000000f"]);
        var inventory = Inventory([], [], [], [foreign], [ManagedSnapshot("snap-0000000000000000f", Dr, fromRegion: "us-west-2")]);

        var probes = PreflightProbes.Plan(SettingsFor(), inventory, Now, "req-1");

        Assert.All(probes.Where(p => p.Region == Dr && p.Permission != "ec2:CopyImage"), p => Assert.Null(p.Request));
    }

    [Theory]
    [InlineData(
        "You are not authorized to perform this operation. User: arn:aws:sts::123456789012:assumed-role/r/f is not authorized to perform: ec2:CopyImage on resource: arn:aws:ec2:eu-west-1::image/ami-0123456789abcdef0 because no identity-based policy allows the ec2:CopyImage action. Encoded authorization failure message: abc",
        "missing ec2:CopyImage on arn:aws:ec2:eu-west-1::image/ami-0123456789abcdef0")]
    [InlineData(
        "You are not authorized to perform this operation. Encoded authorization failure message: abc",
        "missing ec2:CopyImage on source image ami-1; decode EC2's message with 'aws sts decode-authorization-message --encoded-message …' for the exact statement (EC2: You are not authorized to perform this operation. Encoded authorization failure message: abc)")]
    public void Missing_WhenEc2Denies_NamesTheActionAndResource(string message, string expected)
    {
        Assert.Equal(expected, PreflightCheck.Missing(message, "ec2:CopyImage", "source image ami-1"));
    }

    private static Inventory.Inventory Inventory(
        IReadOnlyList<Ec2Instance> instances, IReadOnlyList<Ec2Image> images, IReadOnlyList<Ec2Snapshot> snapshots,
        IReadOnlyList<Ec2Image> drImages, IReadOnlyList<Ec2Snapshot> drSnapshots) =>
        new(Account, instances, new RegionInventory(Home, images, snapshots), new RegionInventory(Dr, drImages, drSnapshots));

    private static Ec2Instance Instance(string id, bool tagged = true) =>
        new(id, "running", tagged ? new Dictionary<string, string> { ["Backup"] = "true" } : new Dictionary<string, string>());

    private static Ec2Image Backup(string id, DateTimeOffset created, IReadOnlyList<string> snapshots, bool pinned = false, string state = ImageStates.Available, string region = Home)
    {
        var tags = new Dictionary<string, string>
        {
            [ManagedTags.Managed] = ManagedTags.ManagedValue,
            [ManagedTags.InstanceId] = "i-00000000000000001",
        };
        if (pinned)
        {
            tags[ManagedTags.Keep] = "true";
        }

        tags[ManagedTags.Owner] = "ami-rotator";
        return new Ec2Image(id, region, BackupNaming.Scheduled("i-00000000000000001", created, "ami-rotator"), state, Account, created, tags, snapshots);
    }

    private static Ec2Image Copy(string id, Ec2Image source, IReadOnlyList<string> snapshots) =>
        new(id, Dr, source.Name, ImageStates.Available, Account, source.CreationDate.AddHours(1),
            new Dictionary<string, string>(source.Tags) { [ManagedTags.SourceImageId] = source.ImageId, [ManagedTags.SourceRegion] = source.Region }, snapshots);

    private static Ec2Snapshot ManagedSnapshot(string id, string region = Home, string? fromRegion = null)
    {
        var tags = new Dictionary<string, string> { [ManagedTags.Managed] = ManagedTags.ManagedValue, [ManagedTags.Owner] = "ami-rotator" };
        if (fromRegion is not null)
        {
            tags[ManagedTags.SourceRegion] = fromRegion;
        }

        return new Ec2Snapshot(id, region, "completed", Now.AddDays(-3), tags);
    }
}
