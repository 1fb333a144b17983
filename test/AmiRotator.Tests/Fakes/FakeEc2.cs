using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Amazon.EC2;
using Amazon.Runtime;
using AmiRotator.Inventory;

namespace AmiRotator.Tests.Fakes;

/// <summary>
/// An in-memory EC2 for one account across Regions, for the API actions AmiRotator calls. Each action follows
/// the EC2 API Reference (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/, page named on each method):
/// the same validations, the same error codes (as <see cref="AmazonEC2Exception"/>, see errors-overview.html), the
/// same idempotency. <see cref="Region"/> hands out the <see cref="FakeEc2Region"/> that implements the seam, and
/// translates API errors exactly as the production <c>Ec2Region</c> does.
/// </summary>
/// <remarks>
/// <para>Thread-safe: every action runs under one lock, so concurrent passes see EC2 as atomic per call, as AWS does.</para>
/// <para>Where the reference is silent the fake chooses the conservative answer and says so on the member.</para>
/// <para>Knobs: <see cref="NewImageState"/>, <see cref="NewCopyState"/>, <see cref="SnapshotsPerImage"/>,
/// <see cref="SetImageState"/>, the <c>Fail*</c> faults, <see cref="SetDeleteSnapshotReturnCode"/> and
/// <see cref="BeforeCall"/> and <see cref="AfterCall"/> (to hold calls at a rendezvous and provoke races).</para>
/// </remarks>
internal sealed partial class FakeEc2
{
    public const string DefaultAccountId = "123456789012";

    private readonly Lock gate = new();
    private readonly TimeProvider clock;
    private readonly Dictionary<string, FakeEc2Region> regions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FakeInstance> instances = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FakeImage> images = new(StringComparer.Ordinal);

    // AMI names are unique per account and Region: an index, so that a fleet of 100,000 images seeds in seconds.
    private readonly Dictionary<(string Region, string Owner, string Name), string> imageNames = [];
    private readonly Dictionary<string, FakeSnapshot> snapshots = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Region, string ImageId), List<string>> references = [];
    private readonly Dictionary<(string Region, string Token), (string Fingerprint, string ImageId)> clientTokens = [];
    private readonly List<Ec2Call> calls = [];
    private readonly List<string> deregisteredImageIds = [];
    private readonly List<string> deletedSnapshotIds = [];
    private long nextId;

    public FakeEc2(TimeProvider clock, string accountId = DefaultAccountId)
    {
        this.clock = clock;
        AccountId = accountId;
    }

    public string AccountId { get; }

    /// <summary>The state CreateImage gives a new image. AWS: <c>pending</c>, later <c>available</c> [API_CreateImage].</summary>
    public string NewImageState { get; set; } = ImageStates.Pending;

    /// <summary>The state CopyImage gives a new copy. AWS: <c>pending</c> [API_CopyImage].</summary>
    public string NewCopyState { get; set; } = ImageStates.Pending;

    /// <summary>How many EBS snapshots CreateImage makes (one per EBS volume of the instance).</summary>
    public int SnapshotsPerImage { get; set; } = 1;

    /// <summary>Awaited before every API call, outside the lock: a test can hold calls here to force an interleaving.</summary>
    public Func<Ec2Call, CancellationToken, Task>? BeforeCall { get; set; }

    /// <summary>
    /// Awaited after every successful API call, before the caller sees the answer: holding the listings here makes
    /// two passes read the same EC2 before either of them writes.
    /// </summary>
    public Func<Ec2Call, CancellationToken, Task>? AfterCall { get; set; }

    /// <summary>Every call so far, in arrival order.</summary>
    public IReadOnlyList<Ec2Call> Calls
    {
        get
        {
            lock (gate)
            {
                return [.. calls];
            }
        }
    }

    /// <summary>CreateImage, CopyImage, DeregisterImage and DeleteSnapshot calls, failed ones included.</summary>
    public int MutationCount => Calls.Count(c => c.IsMutation);

    public IReadOnlyList<string> DeregisteredImageIds
    {
        get
        {
            lock (gate)
            {
                return [.. deregisteredImageIds];
            }
        }
    }

    public IReadOnlyList<string> DeletedSnapshotIds
    {
        get
        {
            lock (gate)
            {
                return [.. deletedSnapshotIds];
            }
        }
    }

    /// <summary>The seam for one Region of this account.</summary>
    public FakeEc2Region Region(string region)
    {
        lock (gate)
        {
            if (!regions.TryGetValue(region, out var client))
            {
                client = new FakeEc2Region(this, region);
                regions[region] = client;
            }

            return client;
        }
    }

    public IReadOnlyList<Ec2Call> CallsTo(string action) => [.. Calls.Where(c => c.Action == action)];

    // ---- Helpers (callers hold the lock) ----------------------------------------------------------------------

    /// <summary>[API_DescribeImages] and the other listings: MaxResults at most 1000.</summary>
    public const int PageSize = 1000;

    private static bool IsListing(string action) =>
        action is Ec2Call.DescribeImages or Ec2Call.DescribeInstances or Ec2Call.DescribeSnapshots or Ec2Call.ListImagesInRecycleBin;

    private T Call<T>(string region, string action, string subject, Func<T> body)
    {
        lock (gate)
        {
            try
            {
                RequireAllowed(region, action);
                var result = body();
                // Listings page like EC2's (MaxResults 1000, the most they allow): one call per page, as Ec2Region sends them.
                var pages = result is System.Collections.ICollection { Count: > PageSize } listed && IsListing(action) ? (listed.Count + PageSize - 1) / PageSize : 1;
                for (var page = 0; page < pages; page++)
                {
                    calls.Add(new Ec2Call(region, action, page == 0 ? subject : $"{subject} (page {page + 1})"));
                }

                return result;
            }
            catch (AmazonEC2Exception e)
            {
                calls.Add(new Ec2Call(region, action, subject, e.ErrorCode));
                throw;
            }
        }
    }

    private string? RootOf(string snapshotId) =>
        images.Values.Where(i => i.SnapshotIds.Count > 0 && i.SnapshotIds[0] == snapshotId).Select(i => i.ImageId).Order(StringComparer.Ordinal).FirstOrDefault();

    private string? UsedBy(string snapshotId) =>
        images.Values.Where(i => i.SnapshotIds.Contains(snapshotId, StringComparer.Ordinal)).Select(i => i.ImageId).Order(StringComparer.Ordinal).FirstOrDefault();

    private FakeImage? FindByName(string region, string ownerId, string name) =>
        imageNames.TryGetValue((region, ownerId, name), out var id) && images.TryGetValue(id, out var image) && image.Name == name ? image : null;

    /// <summary>Every new image goes in through here, so the name index always holds exactly the registered images.</summary>
    private void Register(FakeImage image)
    {
        images[image.ImageId] = image;
        imageNames[(image.Region, image.OwnerId, image.Name)] = image.ImageId;
    }

    private void Unregister(FakeImage image)
    {
        images.Remove(image.ImageId);
        imageNames.Remove((image.Region, image.OwnerId, image.Name));
    }

    private void RequireUniqueName(string region, string name)
    {
        if (FindByName(region, AccountId, name) is not null)
        {
            throw Error("InvalidAMIName.Duplicate", $"AMI name {name} is already in use by AMI {FindByName(region, AccountId, name)!.ImageId}");
        }
    }

    private static void RequireValidName(string name)
    {
        if (!AmiName().IsMatch(name))
        {
            throw Error("InvalidAMIName.Malformed", $"AMI names must be 3 to 128 characters of letters, numbers, ()[] ./-'@_: '{name}'");
        }
    }

    private string NewSnapshot(string region, string state, DateTimeOffset startTime, IReadOnlyDictionary<string, string> tags)
    {
        var id = NewId("snap-");
        snapshots[id] = new FakeSnapshot(id, region, AccountId, state, startTime, Copy(tags));
        return id;
    }

    private string NewId(string prefix)
    {
        // 17 hex digits as EC2 issues them; the leading 'f' keeps them clear of ids a test seeds by hand.
        var n = Interlocked.Increment(ref nextId);
        return $"{prefix}f{n.ToString("x16", CultureInfo.InvariantCulture)}";
    }

    private void SetFault(Dictionary<string, string> faults, string key, string value)
    {
        lock (gate)
        {
            faults[key] = value;
        }
    }

    private static string SnapshotStateFor(string imageState) => imageState switch
    {
        ImageStates.Pending => "pending",
        ImageStates.Failed or ImageStates.Error => "error",
        _ => "completed",
    };

    private static string Fingerprint(IReadOnlyDictionary<string, string> tags) =>
        string.Join(';', tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"));

    private static Dictionary<string, string> Copy(IReadOnlyDictionary<string, string>? tags) =>
        tags is null ? new(StringComparer.Ordinal) : new(tags, StringComparer.Ordinal);

    private static AmazonEC2Exception Error(string code, string message)
    {
        var server = code is "InternalError" or "ServiceUnavailable" or "Unavailable";
        var status = code switch
        {
            _ when server => HttpStatusCode.InternalServerError,
            "UnauthorizedOperation" => HttpStatusCode.Forbidden,
            "DryRunOperation" => HttpStatusCode.PreconditionFailed,
            _ => HttpStatusCode.BadRequest,
        };
        return new AmazonEC2Exception(message, server ? ErrorType.Receiver : ErrorType.Sender, code, "fake-request", status);
    }

    [GeneratedRegex(@"^[A-Za-z0-9()\[\] ./\-'@_]{3,128}$")]
    private static partial Regex AmiName();
}
