namespace AmiRotator.Lambda;

/// <summary>
/// What the Lambda runtime tells us about one invocation. Our own type, so the rest of the code does not depend
/// on the runtime client: swapping in Amazon.Lambda.RuntimeSupport means mapping its ILambdaContext to this.
/// </summary>
internal sealed record InvocationContext(string RequestId, DateTimeOffset Deadline, string? FunctionArn, string? TraceId)
{
    /// <summary>The account id from the invoked function's ARN (arn:aws:lambda:region:account:function:name).</summary>
    public string? AccountId
    {
        get
        {
            var parts = FunctionArn?.Split(':');
            return parts is { Length: >= 7 } && parts[4].Length == 12 && parts[4].All(char.IsAsciiDigit) ? parts[4] : null;
        }
    }

    /// <summary>The function name from the invoked ARN (without a version or alias qualifier).</summary>
    public string? FunctionName
    {
        get
        {
            var parts = FunctionArn?.Split(':');
            return parts is { Length: >= 7 } ? parts[6] : null;
        }
    }

    public TimeSpan RemainingTime(TimeProvider clock) => Deadline - clock.GetUtcNow();
}
