namespace AmiRotator.Tests.Fakes;

/// <summary>An EBS snapshot held by <see cref="FakeEc2"/>. EC2 snapshot states: pending, completed, error.</summary>
internal sealed record FakeSnapshot(
    string SnapshotId,
    string Region,
    string OwnerId,
    string State,
    DateTimeOffset StartTime,
    IReadOnlyDictionary<string, string> Tags);
