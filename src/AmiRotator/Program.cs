using AmiRotator;
using AmiRotator.Lambda;
using AmiRotator.Reporting;

// The whole shell: wire the Lambda runtime loop to the function. Swapping in Amazon.Lambda.RuntimeSupport means
// replacing the Lambda/ folder and these lines with LambdaBootstrapBuilder, mapping ILambdaContext to InvocationContext.
var log = new Log(Console.Out, TimeProvider.System);
var runtimeApi = Environment.GetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API");
if (string.IsNullOrEmpty(runtimeApi))
{
    log.Error("AWS_LAMBDA_RUNTIME_API is not set: this bootstrap runs inside Lambda or a Runtime API emulator");
    return 2;
}

using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
var api = new RuntimeApiClient(http, runtimeApi);
return await LambdaHost.RunAsync(api, () => Function.Create(Environment.GetEnvironmentVariable, TimeProvider.System, log), log, CancellationToken.None);
