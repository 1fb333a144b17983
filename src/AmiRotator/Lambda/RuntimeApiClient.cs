using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using AmiRotator.Reporting;

namespace AmiRotator.Lambda;

/// <summary>
/// A small client for the Lambda Runtime API (2018-06-01): next, response, invocation error and init error.
/// A 500 from the API means the runtime must exit, surfaced as <see cref="RuntimeApiFatalException"/>.
/// </summary>
internal sealed class RuntimeApiClient
{
    private const string ErrorTypeHeader = "Lambda-Runtime-Function-Error-Type";
    private readonly HttpClient http;
    private readonly Uri baseUri;

    /// <param name="http">Its Timeout must be infinite: the next-invocation GET blocks until an event arrives.</param>
    /// <param name="runtimeApi">The value of AWS_LAMBDA_RUNTIME_API, host:port.</param>
    public RuntimeApiClient(HttpClient http, string runtimeApi)
    {
        this.http = http;
        baseUri = new Uri($"http://{runtimeApi}/2018-06-01/");
    }

    public async Task<NextInvocation> NextAsync(CancellationToken ct)
    {
        using var response = await http.GetAsync(new Uri(baseUri, "runtime/invocation/next"), HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        ThrowIfFatal(response, "next");
        var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        var requestId = Header(response, "Lambda-Runtime-Aws-Request-Id")
            ?? throw new RuntimeApiFatalException("The Runtime API returned an invocation without Lambda-Runtime-Aws-Request-Id.");
        var deadline = long.TryParse(Header(response, "Lambda-Runtime-Deadline-Ms"), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : DateTimeOffset.MaxValue;
        var context = new InvocationContext(
            requestId,
            deadline,
            Header(response, "Lambda-Runtime-Invoked-Function-Arn"),
            Header(response, "Lambda-Runtime-Trace-Id"));
        return new NextInvocation(context, body);
    }

    public Task RespondAsync(string requestId, byte[] body, CancellationToken ct) =>
        PostAsync($"runtime/invocation/{Uri.EscapeDataString(requestId)}/response", new ByteArrayContent(body), null, ct);

    public Task ReportErrorAsync(string requestId, ErrorPayload error, CancellationToken ct) =>
        PostAsync($"runtime/invocation/{Uri.EscapeDataString(requestId)}/error", ErrorContent(error), error.ErrorType, ct);

    public Task ReportInitErrorAsync(ErrorPayload error, CancellationToken ct) =>
        PostAsync("runtime/init/error", ErrorContent(error), error.ErrorType, ct);

    private async Task PostAsync(string path, HttpContent content, string? errorType, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUri, path)) { Content = content };
        if (errorType is not null)
        {
            request.Headers.TryAddWithoutValidation(ErrorTypeHeader, errorType);
        }

        using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
        ThrowIfFatal(response, path);
        if (!response.IsSuccessStatusCode)
        {
            // 400 (Lambda no longer waits for this invocation), 403, 413 (response over 6 MB): not fatal, but never silent.
            var detail = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            throw new RuntimeApiRejectedException($"The Runtime API answered {(int)response.StatusCode} to {path}: {detail}");
        }
    }

    private static ByteArrayContent ErrorContent(ErrorPayload error)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(error, JsonContext.Readable.ErrorPayload));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static void ThrowIfFatal(HttpResponseMessage response, string what)
    {
        if (response.StatusCode == HttpStatusCode.InternalServerError)
        {
            throw new RuntimeApiFatalException($"The Runtime API answered 500 to {what}; the runtime must exit.");
        }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}

/// <summary>An event and its context, as returned by the next-invocation call.</summary>
internal sealed record NextInvocation(InvocationContext Context, byte[] Payload);

/// <summary>The Runtime API refused a post (not a 500): the invocation is lost, the runtime goes on.</summary>
internal sealed class RuntimeApiRejectedException(string message) : Exception(message);

/// <summary>The Runtime API told us to stop (HTTP 500), or broke its contract.</summary>
internal sealed class RuntimeApiFatalException(string message) : Exception(message);
