namespace AmiRotator.Retention;

/// <summary>A retention policy text is malformed. The message names the problem and what would be accepted.</summary>
internal sealed class RetentionPolicyException(string message) : Exception(message);
