using AmiRotator.Tests.Emulator;
using Xunit;

namespace AmiRotator.Tests.Faults;

/// <summary>
/// The throttling storm lasts two minutes of wall-clock time. It gets an emulator and a proxy of its own, so it runs
/// beside the rest of the suite instead of holding the shared emulator for that long.
/// </summary>
[CollectionDefinition(Name)]
public sealed class StormCollection : ICollectionFixture<PrivateMotoServer>
{
    public const string Name = "moto-storm";
}

/// <summary>An emulator that is never the shared one (AMIROTATOR_MOTO_URL is ignored).</summary>
public sealed class PrivateMotoServer : IAsyncLifetime
{
    public MotoServer Server { get; } = new(alwaysStartOwn: true);

    public Task InitializeAsync() => Server.InitializeAsync();

    public Task DisposeAsync() => Server.DisposeAsync();
}
