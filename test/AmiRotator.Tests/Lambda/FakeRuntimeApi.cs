using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace AmiRotator.Tests.Lambda;

/// <summary>
/// An in-process fake of the AWS Lambda Runtime API, version 2018-06-01, listening on a free port of 127.0.0.1.
/// It serves the real runtime client (and the real native <c>bootstrap</c>) the way Lambda does:
/// <list type="bullet">
/// <item><c>GET /2018-06-01/runtime/invocation/next</c> blocks until an event is enqueued with
/// <see cref="EnqueueAsync(byte[], DateTimeOffset, string?, string?, string?)"/>, then answers 200 with the payload and the
/// <c>Lambda-Runtime-Aws-Request-Id</c>, <c>-Deadline-Ms</c> (epoch milliseconds), <c>-Invoked-Function-Arn</c> and
/// <c>-Trace-Id</c> headers.</item>
/// <item><c>POST .../invocation/{id}/response</c> and <c>.../invocation/{id}/error</c> answer 202 for an invocation that
/// was handed out and not yet answered, 400 for any other request id, and 413 for a response over Lambda's 6 MB limit.</item>
/// <item><c>POST .../init/error</c> answers 202 before the first next call and 403 after it.</item>
/// <item>Error posts record the body and the <c>Lambda-Runtime-Function-Error-Type</c> header.</item>
/// </list>
/// <see cref="FailNextWith500"/> and <see cref="FailNextPostWith500"/> make one call answer 500, Lambda's "the runtime
/// must exit". Every wait is bounded: a wait that times out throws <see cref="TimeoutException"/> listing the calls seen.
/// </summary>
public sealed class FakeRuntimeApi : IAsyncDisposable
{
    public const string DefaultFunctionArn = "arn:aws:lambda:us-east-1:123456789012:function:ami-rotator";
    public const string RequestIdHeader = "Lambda-Runtime-Aws-Request-Id";
    public const string DeadlineHeader = "Lambda-Runtime-Deadline-Ms";
    public const string FunctionArnHeader = "Lambda-Runtime-Invoked-Function-Arn";
    public const string TraceIdHeader = "Lambda-Runtime-Trace-Id";
    public const string ErrorTypeHeader = "Lambda-Runtime-Function-Error-Type";

    /// <summary>Lambda's limit for a synchronous response payload.</summary>
    public const int MaxResponseBytes = 6 * 1024 * 1024;

    private const string Prefix = "/2018-06-01/runtime/";

    private readonly HttpListener listener;
    private readonly CancellationTokenSource stopping = new();
    private readonly Channel<QueuedEvent> events = Channel.CreateUnbounded<QueuedEvent>();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<InvocationResult>> results = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> inFlight = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<ErrorPayloadRecord> initError = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<string> calls = new();
    private readonly Lock gate = new();
    private readonly List<TaskCompletionSource> nextWaiters = [];
    private readonly Task loop;
    private int nextCalls;
    private int failNext;
    private int failPost;

    public FakeRuntimeApi()
    {
        (listener, Address) = Start();
        loop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The value for <c>AWS_LAMBDA_RUNTIME_API</c>: <c>127.0.0.1:port</c>.</summary>
    public string Address { get; }

    /// <summary>How many next-invocation GETs arrived, answered or still waiting.</summary>
    public int NextCallCount => Volatile.Read(ref nextCalls);

    /// <summary>Every call seen, as <c>METHOD path → status</c> (a waiting next shows as <c>GET next …</c>).</summary>
    public IReadOnlyList<string> Calls => [.. calls];

    /// <summary>Queues one invocation; the next (or a waiting) next-invocation GET receives it.</summary>
    /// <returns>The request id (a new GUID unless <paramref name="requestId"/> is given).</returns>
    public async Task<string> EnqueueAsync(
        byte[] payload,
        DateTimeOffset deadline,
        string? functionArn = DefaultFunctionArn,
        string? traceId = null,
        string? requestId = null)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var id = requestId ?? Guid.NewGuid().ToString();
        var trace = traceId ?? $"Root=1-{Guid.NewGuid().ToString("N")[..8]}-{Guid.NewGuid().ToString("N")[..24]};Parent={Guid.NewGuid().ToString("N")[..16]};Sampled=0";
        if (!results.TryAdd(id, new TaskCompletionSource<InvocationResult>(TaskCreationOptions.RunContinuationsAsynchronously)))
        {
            throw new ArgumentException($"Request id '{id}' was already enqueued.", nameof(requestId));
        }

        await events.Writer.WriteAsync(new QueuedEvent(id, payload, deadline, functionArn, trace)).ConfigureAwait(false);
        return id;
    }

    /// <summary>Queues a UTF-8 payload with a deadline <paramref name="timeout"/> from now (default 60 s).</summary>
    public Task<string> EnqueueAsync(string payload, TimeSpan? timeout = null, string? functionArn = DefaultFunctionArn) =>
        EnqueueAsync(Encoding.UTF8.GetBytes(payload), DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromSeconds(60)), functionArn);

    /// <summary>The response or error the runtime posted for <paramref name="requestId"/>.</summary>
    public Task<InvocationResult> WaitForResultAsync(string requestId, TimeSpan timeout) =>
        results.TryGetValue(requestId, out var result)
            ? WithTimeout(result.Task, timeout, $"the result of invocation {requestId}")
            : throw new ArgumentException($"Request id '{requestId}' was never enqueued.", nameof(requestId));

    /// <summary>The init error the runtime posted.</summary>
    public Task<ErrorPayloadRecord> WaitForInitErrorAsync(TimeSpan timeout) =>
        WithTimeout(initError.Task, timeout, "an init error");

    /// <summary>True once an init error was posted (and accepted).</summary>
    public bool InitErrorPosted => initError.Task.IsCompleted;

    /// <summary>Completes when at least <paramref name="count"/> next-invocation GETs have arrived.</summary>
    public Task WaitForNextCallsAsync(int count, TimeSpan timeout)
    {
        TaskCompletionSource waiter;
        lock (gate)
        {
            if (nextCalls >= count)
            {
                return Task.CompletedTask;
            }

            waiter = new TaskCompletionSource(count, TaskCreationOptions.RunContinuationsAsynchronously);
            nextWaiters.Add(waiter);
        }

        return WithTimeout(waiter.Task, timeout, $"next call #{count}");
    }

    /// <summary>The next next-invocation GET answers 500 (no event is consumed).</summary>
    public void FailNextWith500() => Interlocked.Exchange(ref failNext, 1);

    /// <summary>The next POST (response, invocation error or init error) answers 500; nothing is recorded.</summary>
    public void FailNextPostWith500() => Interlocked.Exchange(ref failPost, 1);

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        listener.Close();
        try
        {
            await loop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The accept loop is best effort on shutdown; the listener is already closed.
        }

        stopping.Dispose();
    }

    private static (HttpListener Listener, string Address) Start()
    {
        // HttpListener cannot bind port 0, so borrow a free port from the OS; retry if another process takes it first.
        for (var attempt = 0; ; attempt++)
        {
            int port;
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }

            var candidate = new HttpListener();
            candidate.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                candidate.Start();
                return (candidate, $"127.0.0.1:{port}");
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                candidate.Close();
            }
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(context));
        }
    }

    private async Task ServeAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var path = request.Url?.AbsolutePath ?? "";
        try
        {
            var status = (request.HttpMethod, Route(path)) switch
            {
                ("GET", ["invocation", "next"]) => await NextAsync(context.Response).ConfigureAwait(false),
                ("POST", ["invocation", var id, "response"]) => await PostResultAsync(request, id, InvocationResultKind.Response).ConfigureAwait(false),
                ("POST", ["invocation", var id, "error"]) => await PostResultAsync(request, id, InvocationResultKind.Error).ConfigureAwait(false),
                ("POST", ["init", "error"]) => await PostInitErrorAsync(request).ConfigureAwait(false),
                _ => Answer(HttpStatusCode.NotFound, "UnknownPath", $"No such Runtime API resource: {request.HttpMethod} {path}"),
            };

            calls.Enqueue($"{request.HttpMethod} {path} → {(int)status.Code}");
            await WriteAsync(context.Response, status).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // The runtime hung up, or the fake is shutting down.
            calls.Enqueue($"{request.HttpMethod} {path} → aborted ({e.GetType().Name})");
            context.Response.Abort();
        }
    }

    private static string[] Route(string path) =>
        path.StartsWith(Prefix, StringComparison.Ordinal)
            ? path[Prefix.Length..].Split('/').Select(Uri.UnescapeDataString).ToArray()
            : [];

    private async Task<Reply> NextAsync(HttpListenerResponse response)
    {
        lock (gate)
        {
            nextCalls++;
            foreach (var waiter in nextWaiters.Where(w => (int)w.Task.AsyncState! <= nextCalls).ToList())
            {
                nextWaiters.Remove(waiter);
                waiter.TrySetResult();
            }
        }

        if (Interlocked.Exchange(ref failNext, 0) == 1)
        {
            return Answer(HttpStatusCode.InternalServerError, "ServiceException", "Injected: the runtime must exit.");
        }

        var next = await events.Reader.ReadAsync(stopping.Token).ConfigureAwait(false);
        inFlight.TryAdd(next.RequestId, 0);
        response.Headers[RequestIdHeader] = next.RequestId;
        response.Headers[DeadlineHeader] = next.Deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        if (next.FunctionArn is not null)
        {
            response.Headers[FunctionArnHeader] = next.FunctionArn;
        }

        response.Headers[TraceIdHeader] = next.TraceId;
        return new Reply(HttpStatusCode.OK, next.Payload, "application/json");
    }

    private async Task<Reply> PostResultAsync(HttpListenerRequest request, string requestId, InvocationResultKind kind)
    {
        var body = await ReadBodyAsync(request).ConfigureAwait(false);
        if (Interlocked.Exchange(ref failPost, 0) == 1)
        {
            return Answer(HttpStatusCode.InternalServerError, "ServiceException", "Injected: the runtime must exit.");
        }

        if (!inFlight.TryRemove(requestId, out _) || !results.TryGetValue(requestId, out var result))
        {
            return Answer(HttpStatusCode.BadRequest, "InvalidRequestID", $"No invocation {requestId} is waiting for a result.");
        }

        if (kind == InvocationResultKind.Response && body.Length > MaxResponseBytes)
        {
            result.TrySetResult(new InvocationResult(requestId, InvocationResultKind.Error, body, "Function.ResponseSizeTooLarge"));
            return Answer(HttpStatusCode.RequestEntityTooLarge, "RequestEntityTooLarge", $"Response payload size ({body.Length} bytes) exceeded maximum allowed payload size ({MaxResponseBytes} bytes).");
        }

        result.TrySetResult(new InvocationResult(requestId, kind, body, request.Headers[ErrorTypeHeader]));
        return Accepted();
    }

    private async Task<Reply> PostInitErrorAsync(HttpListenerRequest request)
    {
        var body = await ReadBodyAsync(request).ConfigureAwait(false);
        if (Interlocked.Exchange(ref failPost, 0) == 1)
        {
            return Answer(HttpStatusCode.InternalServerError, "ServiceException", "Injected: the runtime must exit.");
        }

        if (NextCallCount > 0)
        {
            return Answer(HttpStatusCode.Forbidden, "InvalidStateTransition", "Init error after the first next call.");
        }

        initError.TrySetResult(new ErrorPayloadRecord(body, request.Headers[ErrorTypeHeader]));
        return Accepted();
    }

    private static async Task<byte[]> ReadBodyAsync(HttpListenerRequest request)
    {
        using var buffer = new MemoryStream();
        await request.InputStream.CopyToAsync(buffer).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private static Reply Accepted() => new(HttpStatusCode.Accepted, """{"status":"OK"}"""u8.ToArray(), "application/json");

    private static Reply Answer(HttpStatusCode code, string errorType, string message) =>
        new(code, JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["errorMessage"] = message, ["errorType"] = errorType }), "application/json");

    private static async Task WriteAsync(HttpListenerResponse response, Reply answer)
    {
        response.StatusCode = (int)answer.Code;
        response.ContentType = answer.ContentType;
        response.ContentLength64 = answer.Body.Length;
        await response.OutputStream.WriteAsync(answer.Body).ConfigureAwait(false);
        response.Close();
    }

    private async Task<T> WithTimeout<T>(Task<T> task, TimeSpan timeout, string what)
    {
        try
        {
            return await task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Waited {timeout.TotalSeconds:0.#} s for {what}. Calls seen: {Describe()}");
        }
    }

    private async Task WithTimeout(Task task, TimeSpan timeout, string what)
    {
        try
        {
            await task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Waited {timeout.TotalSeconds:0.#} s for {what}. Calls seen: {Describe()}");
        }
    }

    private string Describe() => calls.IsEmpty ? "none" : string.Join("; ", calls);

    private sealed record QueuedEvent(string RequestId, byte[] Payload, DateTimeOffset Deadline, string? FunctionArn, string TraceId);

    private sealed record Reply(HttpStatusCode Code, byte[] Body, string ContentType);
}

public enum InvocationResultKind
{
    Response,
    Error,
}

/// <summary>What the runtime posted for one invocation: the raw body and, for errors, the error-type header.</summary>
public sealed record InvocationResult(string RequestId, InvocationResultKind Kind, byte[] Body, string? ErrorTypeHeader)
{
    public string BodyText => Encoding.UTF8.GetString(Body);

    /// <summary>The body read as the Runtime API's error document; throws if this is not an error.</summary>
    public ErrorPayloadRecord Error => Kind == InvocationResultKind.Error
        ? new ErrorPayloadRecord(Body, ErrorTypeHeader)
        : throw new InvalidOperationException($"Invocation {RequestId} was answered with a response, not an error: {BodyText}");
}

/// <summary>An error body as posted (<c>{"errorMessage","errorType","stackTrace":[]}</c>) and its error-type header.</summary>
public sealed record ErrorPayloadRecord(byte[] Body, string? ErrorTypeHeader)
{
    public string BodyText => Encoding.UTF8.GetString(Body);

    public string? ErrorMessage => Property("errorMessage");

    public string? ErrorType => Property("errorType");

    public IReadOnlyList<string> StackTrace
    {
        get
        {
            using var doc = JsonDocument.Parse(Body);
            return doc.RootElement.TryGetProperty("stackTrace", out var trace) && trace.ValueKind == JsonValueKind.Array
                ? [.. trace.EnumerateArray().Select(e => e.GetString() ?? "")]
                : [];
        }
    }

    private string? Property(string name)
    {
        using var doc = JsonDocument.Parse(Body);
        return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
    }
}
