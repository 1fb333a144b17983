using System.Globalization;
using AmiRotator.Inventory;
using AmiRotator.Tests.Fakes;
using FsCheck;
using FsCheck.Fluent;

namespace AmiRotator.Tests.Safety;

/// <summary>
/// Generates <see cref="SafetyWorld"/>s. The relations that make the rules bite (a snapshot shared by two images, a
/// DR copy naming a real source, a tie on the newest backup) are easier to keep consistent imperatively, so FsCheck
/// supplies a seed and the size, <see cref="Build"/> draws the world from them (a failure replays from FsCheck's
/// seed), and <see cref="Shrink"/> works on the world itself, down to the few images a counterexample needs.
/// </summary>
internal static class SafetyWorlds
{
    private static readonly string[] CountKeys = ["keep-last", "keep-hourly", "keep-daily", "keep-weekly", "keep-monthly", "keep-yearly"];
    private static readonly string[] WindowKeys = ["keep-within", "keep-within-daily", "keep-within-weekly", "keep-within-monthly"];
    private static readonly string[] InvalidPolicies = ["", "keep-daily=0", "keep-forever=3", "keep-daily=seven", "keep-daily=1,keep-daily=2", "keep-within=3x"];
    private static readonly string[] FailureReturnCodes = ["internal-error", "missing-permissions", "client-error"];

    public static Arbitrary<SafetyWorld> Arbitrary { get; } = Arb.From(
        from seed in Gen.Choose(0, int.MaxValue)
        from size in Gen.Sized(Gen.Constant)
        select Build(seed, size),
        Shrink);

    public static SafetyWorld Build(int seed, int size)
    {
        var random = new Random(seed);
        bool Chance(double p) => random.NextDouble() < p;
        T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];
        var ids = 0;
        string NewId(string prefix) => $"{prefix}{(++ids).ToString("x17", CultureInfo.InvariantCulture)}";

        var scale = Math.Clamp(size, 1, 100);
        var instanceCount = random.Next(0, 1 + Math.Min(8, 1 + (scale / 10)));
        var maxImagesPerInstance = Math.Min(15, 1 + (scale / 6));

        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AWS_REGION"] = SafetyWorld.Source,
            ["DR_REGION"] = SafetyWorld.Dr,
            ["OWNER"] = SafetyWorld.Owner,
            ["RETENTION"] = Policy(random),
        };
        if (Chance(0.5))
        {
            variables["DR_RETENTION"] = Policy(random);
        }

        if (Chance(0.3))
        {
            variables["RETENTION_TIMEZONE"] = "Europe/Berlin";
        }

        variables["MAX_RETIRE_PER_RUN"] = random.Next(4) switch
        {
            0 => random.Next(1, 6).ToString(CultureInfo.InvariantCulture),
            1 => "1000",
            _ => "auto",
        };

        var instances = new List<Ec2Instance>();
        var instanceIds = Enumerable.Range(0, instanceCount).Select(n => $"i-0{n.ToString("x16", CultureInfo.InvariantCulture)}").ToList();
        foreach (var instanceId in instanceIds.Where(_ => Chance(0.8)))
        {
            var tags = new Dictionary<string, string>(StringComparer.Ordinal) { ["Backup"] = "true", [ManagedTags.Name] = $"app-{instanceId[^2..]}" };
            var roll = random.NextDouble();
            if (roll < 0.1)
            {
                tags[ManagedTags.Retention] = Pick(InvalidPolicies);
            }
            else if (roll < 0.35)
            {
                tags[ManagedTags.Retention] = Policy(random);
            }

            instances.Add(new Ec2Instance(instanceId, Pick(["running", "stopped", "stopping", "pending"]), tags));
        }

        var images = new List<Ec2Image>();
        var snapshots = new List<FakeSnapshot>();
        var dates = new List<DateTimeOffset>();

        DateTimeOffset CreationDate()
        {
            var roll = random.NextDouble();
            if (roll < 0.03)
            {
                return DateTimeOffset.MinValue; // EC2 gave no parseable CreationDate
            }

            if (roll < 0.10 && dates.Count > 0)
            {
                return Pick(dates); // an exact tie
            }

            var date = roll < 0.55
                ? SafetyWorld.Now.AddDays(-random.Next(0, 400)) // the nightly schedule
                : SafetyWorld.Now.AddMinutes(-random.Next(0, 400 * 24 * 60));
            dates.Add(date);
            return date;
        }

        void AddImage(string region, string? instanceId, string? sourceImageId, string? sourceRegion)
        {
            var owner = Chance(0.9) ? SafetyWorld.Account : SafetyWorld.OtherAccount;
            var state = random.NextDouble() switch
            {
                < 0.70 => ImageStates.Available,
                < 0.85 => ImageStates.Pending,
                _ => ImageStates.Failed,
            };
            var created = CreationDate();
            var tags = new Dictionary<string, string>(StringComparer.Ordinal);
            if (Chance(0.9))
            {
                tags[ManagedTags.Managed] = ManagedTags.ManagedValue;
            }
            else if (Chance(0.5))
            {
                tags[ManagedTags.Managed] = "false";
            }

            if (instanceId is not null)
            {
                tags[ManagedTags.InstanceId] = instanceId;
            }

            if (sourceImageId is not null)
            {
                tags[ManagedTags.SourceImageId] = sourceImageId;
                tags[ManagedTags.SourceRegion] = sourceRegion!;
            }

            if (Chance(0.12))
            {
                tags[ManagedTags.Keep] = Pick(["true", "TRUE", "True", "false", "yes"]);
            }

            // Whose it is (this stack, another stack, or nobody yet: made before owners were recorded), and the
            // policy it recorded (none on the oldest, a broken one now and then).
            var roll = random.NextDouble();
            if (roll < 0.85)
            {
                tags[ManagedTags.Owner] = roll < 0.70 ? SafetyWorld.Owner : SafetyWorld.OtherOwner;
                var policyRoll = random.NextDouble();
                if (policyRoll < 0.05)
                {
                    tags[ManagedTags.Policy] = Pick(InvalidPolicies);
                }
                else if (policyRoll < 0.80)
                {
                    tags[ManagedTags.Policy] = Policy(random);
                }
            }

            if (Chance(0.05))
            {
                tags[ManagedTags.ImageName] = $"ami-rotator-{instanceId ?? "untagged"}-name";
            }

            var snapshotIds = new List<string>();
            var snapshotCount = Chance(0.75) ? 1 : 2;
            for (var n = 0; n < snapshotCount; n++)
            {
                var shareable = images.Where(i => i.Region == region && i.OwnerId == owner).SelectMany(i => i.SnapshotIds).Except(snapshotIds).ToList();
                if (shareable.Count > 0 && Chance(0.12))
                {
                    snapshotIds.Add(Pick(shareable));
                    continue;
                }

                var snapshotTags = tags.Where(t => t.Key is ManagedTags.Managed or ManagedTags.InstanceId or ManagedTags.SourceRegion or ManagedTags.Owner)
                    .ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
                var snapshot = new FakeSnapshot(
                    NewId("snap-"), region, owner, state == ImageStates.Pending ? "pending" : "completed",
                    created == DateTimeOffset.MinValue ? SafetyWorld.Now.AddDays(-1) : created, snapshotTags);
                snapshots.Add(snapshot);
                snapshotIds.Add(snapshot.SnapshotId);
            }

            var id = NewId("ami-");
            images.Add(new Ec2Image(id, region, $"ami-rotator-{instanceId ?? "untagged"}-{id}", state, owner, created, tags, snapshotIds));
        }

        foreach (var instanceId in instanceIds)
        {
            for (var n = random.Next(0, maxImagesPerInstance + 1); n > 0; n--)
            {
                var copy = Chance(0.08);
                AddImage(SafetyWorld.Source, Chance(0.95) ? instanceId : null, copy ? $"ami-0{random.Next():x16}" : null, copy ? Pick([SafetyWorld.Dr, SafetyWorld.OtherRegion]) : null);
            }

            var sources = images.Where(i => i.Region == SafetyWorld.Source && i.InstanceId == instanceId).Select(i => i.ImageId).ToList();
            for (var n = random.Next(0, maxImagesPerInstance + 1); n > 0; n--)
            {
                if (Chance(0.1))
                {
                    AddImage(SafetyWorld.Dr, instanceId, null, null); // the DR Region's own backup
                    continue;
                }

                var fromHere = Chance(0.8);
                var source = fromHere && sources.Count > 0 && Chance(0.8) ? Pick(sources) : $"ami-0{random.Next():x16}";
                AddImage(SafetyWorld.Dr, Chance(0.95) ? instanceId : null, source, fromHere ? SafetyWorld.Source : SafetyWorld.OtherRegion);
            }
        }

        var orphans = new HashSet<string>(StringComparer.Ordinal);
        foreach (var region in new[] { SafetyWorld.Source, SafetyWorld.Dr })
        {
            for (var n = random.Next(0, 3); n > 0; n--)
            {
                var tags = new Dictionary<string, string>(StringComparer.Ordinal) { [ManagedTags.Managed] = Chance(0.9) ? ManagedTags.ManagedValue : "false" };
                var ownerRoll = random.NextDouble();
                if (ownerRoll < 0.85)
                {
                    tags[ManagedTags.Owner] = ownerRoll < 0.70 ? SafetyWorld.Owner : SafetyWorld.OtherOwner;
                }

                if (Chance(0.5) && instanceIds.Count > 0)
                {
                    tags[ManagedTags.InstanceId] = Pick(instanceIds);
                }

                var fromHere = Chance(0.8);
                if (region == SafetyWorld.Dr || !fromHere)
                {
                    tags[ManagedTags.SourceRegion] = fromHere ? SafetyWorld.Source : SafetyWorld.OtherRegion;
                }

                var snapshot = new FakeSnapshot(
                    NewId("snap-"), region, SafetyWorld.Account, Chance(0.85) ? "completed" : "pending",
                    SafetyWorld.Now.AddMinutes(-random.Next(0, 6 * 60)), tags);
                snapshots.Add(snapshot);
                orphans.Add(snapshot.SnapshotId);
            }
        }

        var references = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var image in images.Where(_ => Chance(0.12)))
        {
            references[image.ImageId] = Chance(0.5)
                ? [$"arn:aws:ec2:{image.Region}:{SafetyWorld.Account}:instance/i-0{random.Next():x16}"]
                : [$"arn:aws:ec2:{image.Region}:{SafetyWorld.Account}:launch-template/lt-0{random.Next():x16}/{random.Next(1, 9)}"];
        }

        var unchecked_ = random.Next(3) switch
        {
            0 => images.Select(i => i.ImageId).ToHashSet(StringComparer.Ordinal),
            1 => images.Where(_ => Chance(0.3)).Select(i => i.ImageId).ToHashSet(StringComparer.Ordinal),
            _ => new HashSet<string>(StringComparer.Ordinal),
        };

        var imageSnapshots = images.SelectMany(i => i.SnapshotIds).Distinct(StringComparer.Ordinal).ToList();
        return new SafetyWorld(
            variables,
            instances,
            images,
            snapshots,
            orphans,
            references,
            unchecked_,
            imageSnapshots.Where(_ => Chance(0.2)).ToDictionary(s => s, _ => Pick(FailureReturnCodes), StringComparer.Ordinal),
            imageSnapshots.Concat(orphans).Where(_ => Chance(0.15)).ToHashSet(StringComparer.Ordinal),
            images.Where(_ => Chance(0.05)).Select(i => i.ImageId).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>Smaller worlds that may still fail: fewer faults, references and images, down to single images.</summary>
    public static IEnumerable<SafetyWorld> Shrink(SafetyWorld world)
    {
        if (world.DeleteSnapshotReturnCodes.Count + world.FailingSnapshotDeletions.Count + world.FailingDeregistrations.Count > 0)
        {
            yield return world with { DeleteSnapshotReturnCodes = new Dictionary<string, string>(), FailingSnapshotDeletions = new HashSet<string>(), FailingDeregistrations = new HashSet<string>() };
        }

        if (world.UncheckedImageIds.Count > 0)
        {
            yield return world with { UncheckedImageIds = new HashSet<string>() };
        }

        if (world.References.Count > 0)
        {
            yield return world with { References = new Dictionary<string, IReadOnlyList<string>>() };
        }

        if (world.OrphanSnapshotIds.Count > 0)
        {
            yield return world with
            {
                Snapshots = [.. world.Snapshots.Where(s => !world.OrphanSnapshotIds.Contains(s.SnapshotId))],
                OrphanSnapshotIds = new HashSet<string>(),
            };
        }

        foreach (var region in new[] { SafetyWorld.Source, SafetyWorld.Dr }.Where(r => world.Images.Any(i => i.Region == r)))
        {
            yield return world.Without(i => i.Region == region);
        }

        foreach (var instanceId in world.Images.Select(i => i.InstanceId).Distinct())
        {
            yield return world.Without(i => i.InstanceId == instanceId);
        }

        if (world.Images.Count > 1)
        {
            yield return world.Without(i => i.OwnerId != SafetyWorld.Account || !i.IsManaged);
            foreach (var image in world.Images.ToList())
            {
                yield return world.Without(i => i.ImageId == image.ImageId);
            }
        }
    }

    private static string Policy(Random random)
    {
        var items = new List<string>();
        var count = random.Next(1, 3);
        while (items.Count < count)
        {
            var item = random.Next(3) == 0
                ? $"{WindowKeys[random.Next(WindowKeys.Length)]}={random.Next(1, 30)}{(random.Next(2) == 0 ? "d" : "h")}"
                : $"{CountKeys[random.Next(CountKeys.Length)]}={(random.Next(10) == 0 ? "unlimited" : random.Next(1, 5).ToString(CultureInfo.InvariantCulture))}";
            if (!items.Any(i => i.Split('=')[0] == item.Split('=')[0]))
            {
                items.Add(item);
            }
        }

        return string.Join(',', items);
    }
}
