using AmiRotator.Execution;
using AmiRotator.Invocation;
using AmiRotator.Planning;
using AmiRotator.Reporting;
using AmiRotator.Tests.Fakes;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace AmiRotator.Tests.Safety;

/// <summary>
/// Executes the plan of each generated world on a <see cref="FakeEc2"/> seeded with the same world, with EC2 failing
/// some snapshot deletions (DeleteSnapshotReturnCode internal-error, missing-permissions, client-error), some
/// DeleteSnapshot calls and some DeregisterImage calls. An orphaned snapshot costs money every month and nobody
/// sees it, so: after the pass, or after the next pass when this one reported a failure, no snapshot of ours is
/// left that no registered image uses; and no registered image ever loses a snapshot.
/// </summary>
public sealed class RetirementExecutionProperties
{
    [Property(MaxTest = 1000)]
    public Property Execute_ThenNextPassIfItFailed_LeavesNoOrphanedSnapshotAndNoImageWithoutItsSnapshots() =>
        Prop.ForAll(SafetyWorlds.Arbitrary, world => RunAsync(world).GetAwaiter().GetResult());

    internal static async Task RunAsync(SafetyWorld world)
    {
        var clock = new FakeTimeProvider(SafetyWorld.Now);
        var ec2 = new FakeEc2(clock);
        world.Seed(ec2);
        var settings = world.Settings();
        var inventory = world.Inventory();
        var log = new Log(TextWriter.Null, clock);
        var plan = Planner.Build(settings, inventory, SafetyWorld.PruneScope(clock.GetUtcNow()), world.Truth());

        var outcome = await new Executor(settings, ec2.Region(SafetyWorld.Source), ec2.Region(SafetyWorld.Dr), () => TimeSpan.FromMinutes(10), log)
            .ExecuteAsync(plan, CancellationToken.None);

        var planned = plan.Retirements.Select(r => r.ImageId).ToHashSet(StringComparer.Ordinal);
        Assert.All(ec2.DeregisteredImageIds, id => Assert.Contains(id, planned));
        AssertEveryImageWhole(ec2);

        var followedUp = outcome.Failures.Count > 0;
        if (followedUp)
        {
            ec2.ClearFaults();
            clock.Advance(SweepStep.OrphanGrace + TimeSpan.FromHours(1));
            var next = await new ReconcilePass(settings, ec2.Region(SafetyWorld.Source), ec2.Region(SafetyWorld.Dr), clock, log)
                .RunAsync(new Request(RequestKind.Prune, DryRun: false), SafetyWorld.Account, () => TimeSpan.FromMinutes(10), CancellationToken.None);
            Assert.DoesNotContain(next.Failures, f => f.Step != "plan"); // an invalid retention tag is a plan failure, not EC2's
            AssertEveryImageWhole(ec2);
        }

        foreach (var region in new[] { SafetyWorld.Source, SafetyWorld.Dr })
        {
            var used = ec2.Images(region).SelectMany(i => i.SnapshotIds).ToHashSet(StringComparer.Ordinal);
            // Ours as the pass found it: a snapshot it adopted this pass becomes the sweep's only from the next pass on.
            var ours = world.Snapshots.Where(SafetyWorld.IsOwnedSnapshot).Select(s => s.SnapshotId).ToHashSet(StringComparer.Ordinal);
            foreach (var snapshot in ec2.Snapshots(region).Where(s => ours.Contains(s.SnapshotId)).Where(s => !used.Contains(s.SnapshotId)))
            {
                // A snapshot that was already an orphan may wait for the sweep: still pending, or within the grace.
                var mayWait = world.OrphanSnapshotIds.Contains(snapshot.SnapshotId)
                    && (snapshot.State == "pending" || (!followedUp && SafetyWorld.Now - snapshot.StartTime < SweepStep.OrphanGrace));
                Assert.True(mayWait, $"orphaned snapshot {snapshot.SnapshotId} in {region} (failures: {string.Join("; ", outcome.Failures.Select(f => $"{f.Subject} {f.Step}"))})");
            }
        }
    }

    private static void AssertEveryImageWhole(FakeEc2 ec2)
    {
        foreach (var image in ec2.Images(SafetyWorld.Source).Concat(ec2.Images(SafetyWorld.Dr)))
        {
            Assert.All(image.SnapshotIds, s => Assert.True(ec2.Snapshot(s) is not null, $"{image.ImageId} ({image.State}) lost its snapshot {s}"));
        }
    }
}
