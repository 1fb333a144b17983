namespace AmiRotator.Tests.Iam;

/// <summary>The outcome of one <see cref="AuthorizationRequest"/>, with what led to it.</summary>
/// <param name="AllowedBy">Sids (or <c>#index</c>) of the matching Allow statements, whatever the verdict.</param>
/// <param name="DeniedBy">Sids (or <c>#index</c>) of the matching Deny statements.</param>
/// <param name="EffectiveContext">The request context after SAR filtering: what the conditions saw.</param>
/// <param name="DroppedKeys">Keys the caller supplied that the SAR does not list for this action and resource type.</param>
internal sealed record Evaluation(
    Verdict Verdict,
    IReadOnlyList<string> AllowedBy,
    IReadOnlyList<string> DeniedBy,
    IReadOnlyDictionary<string, IReadOnlyList<string>> EffectiveContext,
    IReadOnlyList<string> DroppedKeys);
