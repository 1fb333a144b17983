using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AmiRotator.Tests.Deployment;
using AmiRotator.Tests.Emulator;

namespace AmiRotator.Tests.Faults;

/// <summary>
/// Our fault-injecting proxy (test/proxy/fault_proxy.py) between the function and the emulator: throttling with
/// EC2's XML error, answers lost after the work was done, dropped connections, latency, EC2's token buckets, and a
/// hold that stops mutating calls at an exact count. One proxy serves the whole test run (tests in the moto
/// collection run one at a time and reset it); it stops by itself when the test host's stdin pipe closes.
/// </summary>
internal sealed class FaultProxy
{
    public const string UrlPrefix = "FAULT_PROXY_URL=";

    private static readonly SemaphoreSlim StartGate = new(1, 1);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly Dictionary<Uri, FaultProxy> Running = [];

    private readonly HttpClient http;

    private FaultProxy(Process process, Uri url, Uri upstream)
    {
        Process = process;
        Url = url;
        Upstream = upstream;
        http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri Url { get; }

    public Uri Upstream { get; }

    private Process Process { get; }

    /// <summary>The run's proxy in front of <paramref name="moto"/> (one per emulator), reset to forward everything.</summary>
    public static async Task<FaultProxy> ForAsync(MotoServer moto)
    {
        FaultProxy proxy;
        await StartGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!Running.TryGetValue(moto.Url, out var running) || running.Process.HasExited)
            {
                running = await StartAsync(moto.Url).ConfigureAwait(false);
                Running[moto.Url] = running;
            }

            proxy = running;
        }
        finally
        {
            StartGate.Release();
        }

        await proxy.ResetAsync().ConfigureAwait(false);
        return proxy;
    }

    /// <summary>Sets the fault configuration (see the script's docstring); fields left out keep their values.</summary>
    public async Task ConfigureAsync(object config)
    {
        using var response = await http.PostAsync("_proxy/config", new StringContent(JsonSerializer.Serialize(config), Encoding.UTF8, "application/json")).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"proxy config refused: {await response.Content.ReadAsStringAsync().ConfigureAwait(false)}");
        }
    }

    public async Task ResetAsync()
    {
        using var response = await http.PostAsync("_proxy/reset", null).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    public async Task<ProxyStats> StatsAsync()
    {
        var root = await http.GetFromJsonAsync<JsonElement>("_proxy/stats").ConfigureAwait(false);
        var calls = new Dictionary<string, ProxyCounts>(StringComparer.Ordinal);
        foreach (var action in root.GetProperty("calls").EnumerateObject())
        {
            var v = action.Value;
            calls[action.Name] = new ProxyCounts(
                v.GetProperty("forwarded").GetInt32(), v.GetProperty("throttled").GetInt32(), v.GetProperty("lost").GetInt32(),
                v.GetProperty("dropped").GetInt32(), v.GetProperty("held").GetInt32());
        }

        return new ProxyStats(calls, root.GetProperty("mutations").GetInt32(), root.GetProperty("held").GetInt32());
    }

    /// <summary>Waits until <paramref name="held"/> mutating calls are being held (the function reached its kill point).</summary>
    public async Task WaitForHeldAsync(int held, TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        while ((await StatsAsync().ConfigureAwait(false)).Held < held)
        {
            if (stopwatch.Elapsed > timeout)
            {
                throw new TimeoutException($"no mutating call reached the proxy's hold within {timeout.TotalSeconds}s: {await StatsTextAsync().ConfigureAwait(false)}");
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    public async Task<string> StatsTextAsync() => await http.GetStringAsync("_proxy/stats").ConfigureAwait(false);

    private static async Task<FaultProxy> StartAsync(Uri upstream)
    {
        var script = Path.Combine(RepositoryFiles.Root, "test", "proxy", "fault_proxy.py");
        var python = Environment.GetEnvironmentVariable(MotoServer.PythonVariable);
        var startInfo = new ProcessStartInfo(string.IsNullOrWhiteSpace(python) ? "python3" : python)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { script, "--upstream", upstream.ToString().TrimEnd('/'), "--port", "0", "--exit-on-stdin-eof" })
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("could not start the fault proxy");
        var url = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (lines)
                {
                    lines.AppendLine(line);
                }

                if (line.StartsWith(UrlPrefix, StringComparison.Ordinal))
                {
                    url.TrySetResult(new Uri(line[UrlPrefix.Length..].Trim() + "/"));
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (lines)
                {
                    lines.AppendLine(line);
                }
            }
        };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => url.TrySetException(new InvalidOperationException($"the fault proxy exited during start-up:\n{lines}"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var proxy = new FaultProxy(process, await url.Task.WaitAsync(StartTimeout).ConfigureAwait(false), upstream);
        return proxy;
    }
}

internal sealed record ProxyCounts(int Forwarded, int Throttled, int Lost, int Dropped, int Held);

internal sealed record ProxyStats(IReadOnlyDictionary<string, ProxyCounts> Calls, int Mutations, int Held)
{
    public ProxyCounts Of(string action) => Calls.GetValueOrDefault(action) ?? new ProxyCounts(0, 0, 0, 0, 0);

    public int Total(Func<ProxyCounts, int> what) => Calls.Values.Sum(what);
}
