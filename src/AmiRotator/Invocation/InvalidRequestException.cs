namespace AmiRotator.Invocation;

/// <summary>The payload is not something the function accepts. Reported as a function error; no EC2 call is made.</summary>
internal sealed class InvalidRequestException(string errorType, string message) : Exception(message)
{
    public string ErrorType { get; } = errorType;
}
