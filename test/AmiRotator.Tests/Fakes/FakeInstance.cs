namespace AmiRotator.Tests.Fakes;

/// <summary>An instance held by <see cref="FakeEc2"/>.</summary>
internal sealed record FakeInstance(string InstanceId, string Region, string State, IReadOnlyDictionary<string, string> Tags);
