using System.Text;
using System.Text.Json;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Xunit;

namespace AmiRotator.Tests.Emulator;

/// <summary>
/// The patched moto EC2 emulator (test/moto/amirotator_moto.py), shared by the tests of
/// <see cref="MotoCollection"/>.
/// <para>
/// If <c>AMIROTATOR_MOTO_URL</c> is set (scripts/with-moto sets it), that server is used and left
/// running. Otherwise the fixture starts the launcher itself on a free loopback port
/// (<c>python3</c>, or <c>AMIROTATOR_PYTHON</c>) and stops it on dispose.
/// </para>
/// </summary>
public sealed partial class MotoServer : IAsyncLifetime, IDisposable
{
    public const string UrlVariable = "AMIROTATOR_MOTO_URL";
    public const string PythonVariable = "AMIROTATOR_PYTHON";

    /// <summary>Name prefix of the throw-away images <see cref="SeedInstanceAsync"/> launches from.</summary>
    public const string SeedImageNamePrefix = "amirotator-test-seed-";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private Uri? _url;

    /// <summary>Base URL of the emulator, e.g. http://127.0.0.1:41234/.</summary>
    public Uri Url => _url ?? throw new InvalidOperationException("The moto server has not been started.");

    /// <summary>True when this fixture started the launcher (no AMIROTATOR_MOTO_URL).</summary>
    public bool OwnsProcess => _process is not null;

    /// <summary>Uses the emulator named by AMIROTATOR_MOTO_URL when set (make test), else starts its own.</summary>
    public MotoServer()
        : this(alwaysStartOwn: false)
    {
    }

    /// <summary>With <paramref name="alwaysStartOwn"/>, always starts an emulator of its own, for tests that must not share one.</summary>
    internal MotoServer(bool alwaysStartOwn) => AlwaysStartOwn = alwaysStartOwn;

    private bool AlwaysStartOwn { get; }

    public async Task InitializeAsync()
    {
        var configured = AlwaysStartOwn ? null : Environment.GetEnvironmentVariable(UrlVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            _url = new Uri(configured.Trim().TrimEnd('/') + "/");
        }
        else
        {
            _url = await StartLauncherAsync().ConfigureAwait(false);
        }

        await WaitUntilHealthyAsync().ConfigureAwait(false);
    }

    public async Task DisposeAsync()
    {
        await StopLauncherAsync().ConfigureAwait(false);
        _http.Dispose();
    }

    public void Dispose()
    {
        StopLauncherAsync().GetAwaiter().GetResult();
        _http.Dispose();
    }

    /// <summary>
    /// An EC2 client for <paramref name="region"/> against the emulator. It signs for that Region
    /// (with a bare endpoint the SDK would sign us-east-1), which is how the emulator picks the
    /// Region. The caller owns (and disposes) the client.
    /// </summary>
    public AmazonEC2Client Client(string region)
    {
        var config = new AmazonEC2Config
        {
            ServiceURL = Url.ToString(),
            AuthenticationRegion = region,
            MaxErrorRetry = 2,
            Timeout = TimeSpan.FromSeconds(30),
        };
        return new AmazonEC2Client(new BasicAWSCredentials("test", "test"), config);
    }

    /// <summary>
    /// Resets moto (all Regions) and our extra state: the call log, CopyImage client tokens and
    /// every knob (back to its default).
    /// </summary>
    public async Task ResetAsync()
    {
        await PostAsync("moto-api/reset", null).ConfigureAwait(false);
        await PostAsync("_amirotator/calls/reset", null).ConfigureAwait(false);
    }

    /// <summary>Clears only the call log.</summary>
    public Task ResetCallsAsync() => PostAsync("_amirotator/calls/reset", null);

    /// <summary>Every request since the last reset: the SigV4 Region it was signed for and its Action.</summary>
    public async Task<IReadOnlyList<(string Region, string Action)>> CallsAsync()
    {
        using var response = await _http.GetAsync(new Uri(Url, "_amirotator/calls")).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var json = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        using var document = JsonDocument.Parse(json);
        var calls = new List<(string Region, string Action)>();
        foreach (var call in document.RootElement.EnumerateArray())
        {
            calls.Add((StringOrEmpty(call, "region"), StringOrEmpty(call, "action")));
        }

        return calls;
    }

    /// <summary>Every request since the last reset, with its HTTP status and whether it was sent with DryRun=true.</summary>
    public async Task<IReadOnlyList<MotoCall>> CallLogAsync()
    {
        using var response = await _http.GetAsync(new Uri(Url, "_amirotator/calls")).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
        return [.. document.RootElement.EnumerateArray().Select(call => new MotoCall(
            StringOrEmpty(call, "region"),
            StringOrEmpty(call, "action"),
            call.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.Number ? status.GetInt32() : 0,
            call.TryGetProperty("dryRun", out var dry) && dry.ValueKind == JsonValueKind.True))];
    }

    /// <summary>Whether DescribeImageReferences exists (false: it answers InvalidAction, as an endpoint without it does).</summary>
    public Task SetImageReferencesSupportedAsync(bool supported) =>
        PostAsync("_amirotator/config", JsonSerializer.Serialize(new Dictionary<string, bool> { ["describeImageReferences"] = supported }));

    /// <summary>Makes IAM refuse these actions ("CopyImage", or "us-west-2:CopyImage" for one Region) until the next reset.</summary>
    public Task DenyAsync(params string[] actions) =>
        PostAsync("_amirotator/config", JsonSerializer.Serialize(new Dictionary<string, string[]> { ["deny"] = actions }));

    /// <summary>
    /// Launches one instance in <paramref name="region"/> with the given tags (optionally stopped)
    /// and returns its id. It is launched from a throw-away registered image that is deregistered
    /// (with its snapshot) right after, so the account's image list stays clean; the instance keeps
    /// running, as in AWS. These calls show up in the call log; reset it afterwards if you count calls.
    /// </summary>
    public async Task<string> SeedInstanceAsync(string region, IDictionary<string, string> tags, bool stopped = false)
    {
        ArgumentNullException.ThrowIfNull(tags);
        using var ec2 = Client(region);
        var image = await ec2.RegisterImageAsync(new RegisterImageRequest
        {
            Name = SeedImageNamePrefix + Guid.NewGuid().ToString("N"),
            Description = "AmiRotator test seed (deregistered after launch)",
        }).ConfigureAwait(false);

        var request = new RunInstancesRequest
        {
            ImageId = image.ImageId,
            MinCount = 1,
            MaxCount = 1,
            InstanceType = InstanceType.T3Micro,
        };
        if (tags.Count > 0)
        {
            request.TagSpecifications =
            [
                new TagSpecification
                {
                    ResourceType = ResourceType.Instance,
                    Tags = tags.Select(t => new Tag(t.Key, t.Value)).ToList(),
                },
            ];
        }

        var run = await ec2.RunInstancesAsync(request).ConfigureAwait(false);
        var instanceId = run.Reservation.Instances[0].InstanceId;

        await ec2.DeregisterImageAsync(new DeregisterImageRequest
        {
            ImageId = image.ImageId,
            DeleteAssociatedSnapshots = true,
        }).ConfigureAwait(false);

        if (stopped)
        {
            await ec2.StopInstancesAsync(new StopInstancesRequest { InstanceIds = [instanceId] }).ConfigureAwait(false);
        }

        return instanceId;
    }

    /// <summary>
    /// State of images that CreateImage creates from now on: "available" (default) or "pending". CopyImage follows it
    /// unless <see cref="SetNewCopyStateAsync"/> set its own.
    /// </summary>
    public Task SetNewImageStateAsync(string state) =>
        PostAsync("_amirotator/config", JsonSerializer.Serialize(new Dictionary<string, string> { ["newImageState"] = state }));

    /// <summary>
    /// State of images that CopyImage creates from now on, independently of <see cref="SetNewImageStateAsync"/>:
    /// "available" or "pending". Until set (and after a reset) copies follow the new-image state.
    /// </summary>
    public Task SetNewCopyStateAsync(string state) =>
        PostAsync("_amirotator/config", JsonSerializer.Serialize(new Dictionary<string, string> { ["newCopyState"] = state }));

    /// <summary>
    /// Whether a Region-level Recycle Bin retention rule for AMIs exists (in every Region), retaining deregistered AMIs
    /// for <paramref name="days"/> (1 to 365). While on, DeregisterImage moves AMIs to the bin. Seed instances
    /// (<see cref="SeedInstanceAsync"/>) before turning it on, or their throw-away images land in the bin too.
    /// </summary>
    public Task SetRecycleBinAsync(bool enabled, int days = 7) =>
        PostAsync("_amirotator/config", JsonSerializer.Serialize(new Dictionary<string, object> { ["recycleBin"] = enabled, ["recycleBinDays"] = days }));

    /// <summary>
    /// Eventual consistency: from now on a new image (CreateImage, CopyImage, RegisterImage), and a state change made
    /// with <see cref="SetImageStateAsync"/>, reach DescribeImages in their Region only after
    /// <paramref name="describeCalls"/> further DescribeImages calls there (new CreateImage/CopyImage snapshots
    /// likewise in DescribeSnapshots). 0 (the default) turns it off.
    /// </summary>
    public Task SetConsistencyLagAsync(int describeCalls) =>
        PostAsync("_amirotator/config", JsonSerializer.Serialize(new Dictionary<string, int> { ["consistencyLag"] = describeCalls }));

    /// <summary>Moves an image (in whatever Region it lives) to "available", "failed" or "pending"; its snapshots follow.</summary>
    public Task SetImageStateAsync(string imageId, string state, string? failureMessage = null)
    {
        var body = new Dictionary<string, object> { ["state"] = state };
        if (failureMessage is not null)
        {
            body["stateReason"] = new Dictionary<string, string>
            {
                ["code"] = "Server.InternalError",
                ["message"] = failureMessage,
            };
        }

        return PostAsync($"_amirotator/images/{Uri.EscapeDataString(imageId)}/state", JsonSerializer.Serialize(body));
    }

    private async Task PostAsync(string path, string? json)
    {
        using var content = new StringContent(json ?? string.Empty, Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(new Uri(Url, path), content).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"POST /{path} answered {(int)response.StatusCode}: {text}");
        }
    }

    private static string StringOrEmpty(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString() ?? string.Empty
            : string.Empty;
}

/// <summary>One request the emulator received.</summary>
public sealed record MotoCall(string Region, string Action, int Status, bool DryRun);
