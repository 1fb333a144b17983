namespace AmiRotator.Tests.Iam;

/// <summary>
/// One authorisation check: one action against one resource. A real API call may need several (one per resource it
/// touches); callers make one request per resource.
/// </summary>
/// <param name="Action">The action, e.g. <c>ec2:CreateImage</c>.</param>
/// <param name="Resource">A concrete ARN, or <c>*</c> for actions the SAR lists with no resource types.</param>
/// <param name="ResourceType">The SAR resource type key (<c>image</c>, <c>key</c>, ...); null with <c>*</c>.</param>
/// <param name="Context">Every key the caller would send; the evaluator drops those the SAR does not list.</param>
internal sealed record AuthorizationRequest(
    string Action,
    string Resource,
    string? ResourceType,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Context);
