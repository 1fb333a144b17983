namespace AmiRotator.Tests.Fakes;

/// <summary>
/// A registered image held by <see cref="FakeEc2"/>, with the request parameters that made it, so tests can assert
/// what AmiRotator sent (NoReboot, ClientToken, encryption) and not only what a listing shows.
/// </summary>
internal sealed record FakeImage(
    string ImageId,
    string Region,
    string Name,
    string State,
    string OwnerId,
    DateTimeOffset CreationDate,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyList<string> SnapshotIds)
{
    public string? Description { get; init; }

    /// <summary>CreateImage's InstanceId; null for copies and seeded images.</summary>
    public string? InstanceId { get; init; }

    /// <summary>CreateImage's NoReboot; null for copies and seeded images.</summary>
    public bool? NoReboot { get; init; }

    /// <summary>CopyImage's SourceImageId (the request parameter, not the tag).</summary>
    public string? CopiedFromImageId { get; init; }

    /// <summary>CopyImage's SourceRegion (the request parameter, not the tag).</summary>
    public string? CopiedFromRegion { get; init; }

    public string? ClientToken { get; init; }

    public bool Encrypted { get; init; }

    public string? KmsKeyId { get; init; }

    /// <summary>[API_Image] deregistrationProtection; null or "disabled" when off.</summary>
    public string? DeregistrationProtection { get; init; }
}
