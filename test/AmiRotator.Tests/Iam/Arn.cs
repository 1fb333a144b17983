namespace AmiRotator.Tests.Iam;

/// <summary>ARN matching as IAM does it for Resource and the Arn condition operators.</summary>
internal static class Arn
{
    /// <summary>
    /// The six parts of an ARN. Only the first five colons separate parts: the resource part may itself hold colons
    /// and slashes (IAM User Guide, reference-arns). Null when <paramref name="text"/> is not an ARN.
    /// </summary>
    public static string[]? Split(string text)
    {
        var parts = text.Split(':', 6);
        return parts.Length == 6 && parts[0] == "arn" ? parts : null;
    }

    /// <summary>
    /// Each part is matched on its own with <c>*</c> and <c>?</c>, case-sensitively, so a wildcard never spans a
    /// colon between parts (reference_policies_elements_resource, "Using wildcards in resource ARNs"; ArnLike in
    /// reference_policies_elements_condition_operators).
    /// </summary>
    public static bool IsLike(string pattern, string arn)
    {
        if (Split(pattern) is not { } patternParts || Split(arn) is not { } arnParts)
        {
            return false;
        }

        for (var i = 0; i < patternParts.Length; i++)
        {
            if (!Wildcard.IsMatch(patternParts[i], arnParts[i], ignoreCase: false))
            {
                return false;
            }
        }

        return true;
    }
}
