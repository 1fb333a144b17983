using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace AmiRotator.Tests.Emulator;

/// <summary>
/// Starting and stopping the launcher process, when no <c>AMIROTATOR_MOTO_URL</c> names a running server, and
/// waiting until the server answers.
/// </summary>
public sealed partial class MotoServer
{
    private readonly StringBuilder _launcherOutput = new();
    private Process? _process;

    private async Task<Uri> StartLauncherAsync()
    {
        var root = FindRepositoryRoot();
        var script = Path.Combine(root, "test", "moto", "amirotator_moto.py");
        if (!File.Exists(script))
        {
            throw new FileNotFoundException("The moto launcher is missing.", script);
        }

        var python = Environment.GetEnvironmentVariable(PythonVariable);
        var startInfo = new ProcessStartInfo(string.IsNullOrWhiteSpace(python) ? "python3" : python)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = root,
        };
        foreach (var argument in new[] { script, "--host", "127.0.0.1", "--port", "0", "--exit-on-stdin-eof" })
        {
            startInfo.ArgumentList.Add(argument);
        }

        // Our stdin stays open for the life of the test run; if the test host dies, the pipe
        // closes and the launcher stops by itself (--exit-on-stdin-eof).
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var url = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            Remember(e.Data);
            const string prefix = UrlVariable + "=";
            if (e.Data.StartsWith(prefix, StringComparison.Ordinal))
            {
                url.TrySetResult(new Uri(e.Data[prefix.Length..].Trim().TrimEnd('/') + "/"));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Remember(e.Data);
            }
        };
        process.Exited += (_, _) =>
            url.TrySetException(new InvalidOperationException($"The moto launcher exited during start-up:\n{LauncherOutput()}"));

        if (!process.Start())
        {
            throw new InvalidOperationException("Could not start the moto launcher.");
        }

        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(StartTimeout);
        try
        {
            return await url.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await StopLauncherAsync().ConfigureAwait(false);
            throw new TimeoutException($"The moto launcher did not report its URL within {StartTimeout.TotalSeconds}s:\n{LauncherOutput()}");
        }
    }

    private async Task WaitUntilHealthyAsync()
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await _http.GetAsync(new Uri(Url, "_amirotator/health")).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                last = new HttpRequestException($"health answered {(int)response.StatusCode}");
            }
            catch (HttpRequestException e)
            {
                last = e;
            }

            await Task.Delay(100).ConfigureAwait(false);
        }

        throw new TimeoutException($"The moto server at {Url} does not answer /_amirotator/health. {last?.Message}\n{LauncherOutput()}");
    }

    private async Task StopLauncherAsync()
    {
        var process = Interlocked.Exchange(ref _process, null);
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.StandardInput.Close(); // --exit-on-stdin-eof: a clean shutdown
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync().ConfigureAwait(false);
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            process.Dispose();
        }
    }

    private void Remember(string line)
    {
        lock (_launcherOutput)
        {
            if (_launcherOutput.Length > 16_000)
            {
                _launcherOutput.Remove(0, _launcherOutput.Length - 8_000);
            }

            _launcherOutput.AppendLine(line);
        }
    }

    private string LauncherOutput()
    {
        lock (_launcherOutput)
        {
            return _launcherOutput.ToString();
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AmiRotator.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException(string.Format(
            CultureInfo.InvariantCulture, "No AmiRotator.sln above {0}.", AppContext.BaseDirectory));
    }
}
