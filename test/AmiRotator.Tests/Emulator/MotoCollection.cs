using Xunit;

namespace AmiRotator.Tests.Emulator;

/// <summary>
/// The xunit collection that shares one <see cref="MotoServer"/>. Use
/// <c>[Collection(MotoCollection.Name)]</c> on every test class that talks to the emulator.
/// Tests in it run one at a time: they share one emulator and reset it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MotoCollection : ICollectionFixture<MotoServer>
{
    public const string Name = "moto";
}
