namespace AmiRotator.Tests.Iam;

/// <summary>
/// IAM's two wildcards, used by Action, Resource, StringLike and ArnLike: <c>*</c> is any run of characters (also
/// none), <c>?</c> exactly one (IAM User Guide, reference_policies_elements_action and _condition_operators).
/// </summary>
internal static class Wildcard
{
    public static bool IsMatch(string pattern, string text, bool ignoreCase)
    {
        // Greedy scan with one backtrack point: the last '*' seen is the only choice worth revisiting.
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = t;
            }
            else if (p < pattern.Length && (pattern[p] == '?' || Same(pattern[p], text[t], ignoreCase)))
            {
                p++;
                t++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    public static bool HasWildcard(string text) => text.AsSpan().IndexOfAny('*', '?') >= 0;

    private static bool Same(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && char.ToUpperInvariant(a) == char.ToUpperInvariant(b));
}
