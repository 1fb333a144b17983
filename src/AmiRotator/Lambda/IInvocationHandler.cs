namespace AmiRotator.Lambda;

/// <summary>The function as the runtime loop sees it: a payload in, a JSON response out, or a <see cref="FunctionErrorException"/>.</summary>
internal interface IInvocationHandler
{
    Task<byte[]> HandleAsync(ReadOnlyMemory<byte> payload, InvocationContext context, CancellationToken ct);
}

/// <summary>Ends an invocation as a function error with this <c>errorType</c> and <c>errorMessage</c>.</summary>
internal sealed class FunctionErrorException(string errorType, string message) : Exception(message)
{
    public string ErrorType { get; } = errorType;
}

/// <summary>The Runtime API's error body.</summary>
internal sealed record ErrorPayload(string ErrorMessage, string ErrorType, IReadOnlyList<string> StackTrace);
