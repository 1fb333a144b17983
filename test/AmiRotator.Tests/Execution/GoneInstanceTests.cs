using AmiRotator.Invocation;
using Xunit;

namespace AmiRotator.Tests.Execution;

/// <summary>Backups of an instance that was terminated or lost its backup tag keep following the policy: their newest stay.</summary>
public sealed class GoneInstanceTests
{
    [Theory]
    [InlineData("terminated")]
    [InlineData("untagged")]
    public async Task Prune_WhenTheInstanceIsGone_AppliesThePolicyAndKeepsTheNewest(string how)
    {
        var pass = new PassFixture(("RETENTION", "keep-last=2"), ("DR_REGION", ""));
        const string instanceId = "i-0fedcba9876543210";
        if (how == "untagged")
        {
            pass.Ec2.AddInstance(PassFixture.Source, instanceId: instanceId, tags: PassFixture.Tags(("Name", "old-web")));
        }

        var backups = Enumerable.Range(1, 5).Select(d => pass.AddBackup(instanceId, PassFixture.ScheduledTime.AddDays(-d))).ToList();

        var summary = await pass.RunAsync(new Request(RequestKind.Prune, DryRun: false));

        Assert.Empty(summary.Failures);
        Assert.Equal(backups.Skip(2).Order(StringComparer.Ordinal), summary.Retired.Select(r => r.ImageId!).Order(StringComparer.Ordinal));
        Assert.Equal(backups.Take(2).Order(StringComparer.Ordinal), pass.BackupsOf(instanceId).Select(i => i.ImageId).Order(StringComparer.Ordinal));
        Assert.Contains(summary.Kept, k => k.ImageId == backups[0] && k.Reasons!.Contains("newest"));
    }
}
