using Amazon.EC2;
using Xunit;

namespace AmiRotator.Tests.Emulator;

/// <summary>
/// What every test of an emulator patch shares: the shared emulator, reset before each test so no test sees another's
/// resources, and a client for each of the two Regions the patches are tested in.
/// </summary>
public abstract class MotoPatchTests(MotoServer moto) : IAsyncLifetime
{
    protected const string East = "us-east-1";
    protected const string West = "us-west-2";

    protected MotoServer Moto { get; } = moto;

    protected AmazonEC2Client EastClient { get; } = moto.Client(East);

    protected AmazonEC2Client WestClient { get; } = moto.Client(West);

    public Task InitializeAsync() => Moto.ResetAsync();

    public Task DisposeAsync()
    {
        EastClient.Dispose();
        WestClient.Dispose();
        return Task.CompletedTask;
    }
}
