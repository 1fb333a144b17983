using AmiRotator.Reporting;

namespace AmiRotator.Lambda;

/// <summary>
/// The runtime loop: init once, then next → handle → response/error, until the Runtime API says stop. This and
/// <see cref="RuntimeApiClient"/> are the only code that knows about the Runtime API.
/// </summary>
internal static class LambdaHost
{
    public static async Task<int> RunAsync(RuntimeApiClient api, Func<IInvocationHandler> init, Log log, CancellationToken ct)
    {
        IInvocationHandler handler;
        try
        {
            handler = init();
        }
        catch (Exception e)
        {
            var error = ToPayload(e);
            log.Error("init failed", ("errorType", error.ErrorType), ("errorMessage", error.ErrorMessage));
            try
            {
                await api.ReportInitErrorAsync(error, ct).ConfigureAwait(false);
            }
            catch (Exception report) when (report is HttpRequestException or RuntimeApiFatalException or RuntimeApiRejectedException)
            {
                log.Error("could not report the init error", ("error", report.Message));
            }

            return 1;
        }

        while (!ct.IsCancellationRequested)
        {
            NextInvocation next;
            try
            {
                next = await api.NextAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return 0;
            }
            catch (Exception e) when (e is RuntimeApiFatalException or HttpRequestException)
            {
                log.Error("runtime API failure; exiting", ("error", e.Message));
                return 1;
            }

            Environment.SetEnvironmentVariable("_X_AMZN_TRACE_ID", next.Context.TraceId);
            using var scope = log.BeginInvocation(next.Context.RequestId);
            try
            {
                byte[] response;
                try
                {
                    response = await handler.HandleAsync(next.Payload, next.Context, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    var error = ToPayload(e);
                    log.Error("invocation failed", ("errorType", error.ErrorType), ("errorMessage", error.ErrorMessage));
                    await api.ReportErrorAsync(next.Context.RequestId, error, ct).ConfigureAwait(false);
                    continue;
                }

                await api.RespondAsync(next.Context.RequestId, response, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return 0;
            }
            catch (RuntimeApiRejectedException e)
            {
                log.Warn("the Runtime API refused our answer", ("error", e.Message));
            }
            catch (Exception e) when (e is RuntimeApiFatalException or HttpRequestException)
            {
                log.Error("runtime API failure; exiting", ("error", e.Message));
                return 1;
            }
        }

        return 0;
    }

    internal static ErrorPayload ToPayload(Exception e) => e switch
    {
        FunctionErrorException f => new ErrorPayload(f.Message, f.ErrorType, []),
        _ => new ErrorPayload(e.Message, e.GetType().Name, [.. (e.StackTrace ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]),
    };
}
