using Amazon.EC2.Model;
using AmiRotator.Ec2;
using AmiRotator.Tests.Emulator;
using Xunit;

namespace AmiRotator.Tests.Faults;

/// <summary>
/// The clients production builds send each request exactly once: every retry is Ec2Calls', so it is backed off,
/// bounded by the deadline, logged and counted. Counted at the proxy, which sees every attempt on the wire.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class SdkRetriesOffTests(MotoServer moto) : IAsyncLifetime
{
    private FaultProxy proxy = null!;

    public async Task InitializeAsync()
    {
        await moto.ResetAsync();
        proxy = await FaultProxy.ForAsync(moto);
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "test");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "test");
    }

    public Task DisposeAsync() => proxy.ResetAsync();

    [Theory]
    [InlineData("throttle", nameof(ProxyCounts.Throttled))]
    [InlineData("lost", nameof(ProxyCounts.Lost))]
    [InlineData("drop", nameof(ProxyCounts.Dropped))]
    public async Task ProductionClient_WhenACallFails_SendsItOnce(string fault, string counted)
    {
        await proxy.ConfigureAsync(new Dictionary<string, double> { [fault] = 1.0 });
        using var client = Ec2ClientFactory.Create("us-east-1", name => name == "AWS_ENDPOINT_URL" ? proxy.Url.ToString().TrimEnd('/') : null);

        await Assert.ThrowsAnyAsync<Exception>(() => client.DescribeRegionsAsync(new DescribeRegionsRequest()));

        var counts = (await proxy.StatsAsync()).Of("DescribeRegions");
        var value = (int)typeof(ProxyCounts).GetProperty(counted)!.GetValue(counts)!;
        Assert.True(value == 1 && counts.Forwarded + counts.Throttled + counts.Lost + counts.Dropped == 1, $"{fault}: {counts}");
    }
}
