using AmiRotator.Inventory;
using Xunit;

namespace AmiRotator.Tests.Execution;

/// <summary>Near the Lambda deadline a pass stops starting mutations, reports what is left, and the next pass finishes it.</summary>
public sealed class DeadlineTests
{
    [Fact]
    public async Task RunAsync_WhenTimeRunsOut_StopsStartingMutationsReportsTheRestAndTheNextPassFinishes()
    {
        var pass = new PassFixture(("DR_REGION", ""), ("RETENTION", "keep-last=1"), ("PARALLELISM", "1"));
        var instances = Enumerable.Range(1, 5).Select(n => pass.AddProtectedInstance($"app{n}")).ToArray();
        var retiring = new[]
        {
            pass.AddBackup(instances[0], PassFixture.ScheduledTime.AddDays(-3)),
            pass.AddBackup(instances[0], PassFixture.ScheduledTime.AddDays(-2)),
        };
        pass.AddBackup(instances[0], PassFixture.ScheduledTime.AddDays(-1));
        var checks = 0;
        TimeSpan AlmostOut() => Interlocked.Increment(ref checks) <= 2 ? TimeSpan.FromMinutes(5) : pass.Settings.DeadlineSafetyMargin - TimeSpan.FromSeconds(1);

        var late = await pass.RunAsync(PassFixture.Scheduled(), AlmostOut);

        Assert.Equal(2, late.Created.Count);
        Assert.Equal(2, pass.Ec2.MutationCount);
        Assert.Empty(late.Retired);
        Assert.Empty(late.Failures);
        var deferred = late.Skipped.Where(s => s.Reason.Contains("deadline", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            instances.Except(late.Created.Select(c => c.InstanceId!)).Concat(retiring).Order(StringComparer.Ordinal),
            deferred.Select(s => s.Subject).Order(StringComparer.Ordinal));

        var next = await pass.RunAsync(PassFixture.Scheduled());

        Assert.Empty(next.Failures);
        Assert.Equal(3, next.Created.Count);
        Assert.Equal(retiring.Order(StringComparer.Ordinal), next.Retired.Select(r => r.ImageId!).Order(StringComparer.Ordinal));
        Assert.All(instances, i => Assert.Single(pass.BackupsOf(i), b => b.Name.Contains("-20261126T0300Z-", StringComparison.Ordinal)));
        Assert.All(instances, i => Assert.Single(pass.BackupsOf(i), b => b.State == ImageStates.Pending));
    }
}
