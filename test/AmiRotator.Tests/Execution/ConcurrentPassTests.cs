using AmiRotator.Tests.Fakes;
using Xunit;

namespace AmiRotator.Tests.Execution;

/// <summary>
/// Two passes for the same scheduled time (a redelivered event, a manual run) that both read EC2 before either
/// writes: names and ClientTokens, not locks, keep them from doing the work twice.
/// </summary>
public sealed class ConcurrentPassTests
{
    [Fact]
    public async Task RunAsync_WhenTwoPassesOverlap_CreatesOneBackupPerInstanceAndOneCopyPerSource()
    {
        var pass = new PassFixture();
        var instances = Enumerable.Range(1, 6).Select(n => pass.AddProtectedInstance($"app{n}")).ToArray();
        var sources = instances.Take(3).Select(i => pass.AddBackup(i, PassFixture.ScheduledTime.AddDays(-1))).ToArray();
        var bothRead = new Rendezvous(parties: 4); // two passes × (source + DR) image listings
        pass.Ec2.AfterCall = (call, ct) => call.Action == Ec2Call.DescribeImages ? bothRead.ArriveAsync(ct) : Task.CompletedTask;

        var summaries = await Task.WhenAll(pass.RunAsync(PassFixture.Scheduled()), pass.RunAsync(PassFixture.Scheduled()));

        Assert.All(summaries, s => Assert.Empty(s.Failures));
        Assert.All(instances, i => Assert.Single(pass.BackupsOf(i), b => b.Name.Contains("-20261126T0300Z-", StringComparison.Ordinal)));
        Assert.Equal(12, pass.Ec2.CallsTo(Ec2Call.CreateImage).Count);
        Assert.Equal(6, summaries.Sum(s => s.Created.Count));
        Assert.Equal(6, summaries.Sum(s => s.Skipped.Count(k => k.Reason.Contains("concurrent pass", StringComparison.Ordinal))));
        Assert.All(instances, i => Assert.Single(summaries.SelectMany(s => s.Created), c => c.InstanceId == i));

        Assert.Equal(6, pass.Ec2.CallsTo(Ec2Call.CopyImage).Count);
        foreach (var source in sources)
        {
            var copy = Assert.Single(pass.Ec2.Images(PassFixture.Dr), i => i.CopiedFromImageId == source);
            Assert.All(summaries, s => Assert.Equal(copy.ImageId, Assert.Single(s.Copied, c => c.SourceImageId == source).ImageId));
        }
    }

    /// <summary>Holds each answered listing until <c>parties</c> have been answered, so every pass has read before any writes.</summary>
    private sealed class Rendezvous(int parties)
    {
        private readonly TaskCompletionSource all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int arrived;

        public Task ArriveAsync(CancellationToken ct)
        {
            if (Interlocked.Increment(ref arrived) >= parties)
            {
                all.TrySetResult();
            }

            // A pass that never reaches the rendezvous must fail the test, not hang it.
            return all.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        }
    }
}
