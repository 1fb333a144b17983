using System.Runtime.CompilerServices;
using Amazon.EC2.Model;

namespace AmiRotator.Ec2;

/// <summary>
/// The listings, one page per call. The SDK's paginators are not used: each page has to go through
/// <see cref="Ec2Calls"/> on its own, so that a throttled fifth page is retried as the fifth page, not by reading
/// the whole listing again.
/// </summary>
internal sealed partial class Ec2Region
{
    private IAsyncEnumerable<Reservation> DescribeInstancesPages(DescribeInstancesRequest request, CancellationToken ct) =>
        Pages("DescribeInstances", request, client.DescribeInstancesAsync, r => r.Reservations, r => r.NextToken, (q, t) => q.NextToken = t, ct);

    private IAsyncEnumerable<LaunchTemplate> DescribeLaunchTemplatesPages(DescribeLaunchTemplatesRequest request, CancellationToken ct) =>
        Pages("DescribeLaunchTemplates", request, client.DescribeLaunchTemplatesAsync, r => r.LaunchTemplates, r => r.NextToken, (q, t) => q.NextToken = t, ct);

    private IAsyncEnumerable<LaunchTemplateVersion> DescribeLaunchTemplateVersionsPages(DescribeLaunchTemplateVersionsRequest request, CancellationToken ct) =>
        Pages("DescribeLaunchTemplateVersions", request, client.DescribeLaunchTemplateVersionsAsync, r => r.LaunchTemplateVersions, r => r.NextToken, (q, t) => q.NextToken = t, ct);

    private IAsyncEnumerable<ImageReference> DescribeImageReferencesPages(DescribeImageReferencesRequest request, CancellationToken ct) =>
        Pages("DescribeImageReferences", request, client.DescribeImageReferencesAsync, r => r.ImageReferences, r => r.NextToken, (q, t) => q.NextToken = t, ct);

    private IAsyncEnumerable<Image> DescribeImagesPages(DescribeImagesRequest request, CancellationToken ct) =>
        Pages("DescribeImages", request, client.DescribeImagesAsync, r => r.Images, r => r.NextToken, (q, t) => q.NextToken = t, ct);

    private IAsyncEnumerable<ImageRecycleBinInfo> ListImagesInRecycleBinPages(ListImagesInRecycleBinRequest request, CancellationToken ct) =>
        Pages("ListImagesInRecycleBin", request, client.ListImagesInRecycleBinAsync, r => r.Images, r => r.NextToken, (q, t) => q.NextToken = t, ct);

    private IAsyncEnumerable<Snapshot> DescribeSnapshotsPages(DescribeSnapshotsRequest request, CancellationToken ct) =>
        Pages("DescribeSnapshots", request, client.DescribeSnapshotsAsync, r => r.Snapshots, r => r.NextToken, (q, t) => q.NextToken = t, ct);

    private async IAsyncEnumerable<TItem> Pages<TRequest, TResponse, TItem>(
        string action,
        TRequest request,
        Func<TRequest, CancellationToken, Task<TResponse>> send,
        Func<TResponse, List<TItem>?> items,
        Func<TResponse, string?> nextToken,
        Action<TRequest, string> setNextToken,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var response = await calls.SendAsync(action, c => send(request, c), ct).ConfigureAwait(false);
            foreach (var item in items(response) ?? [])
            {
                yield return item;
            }

            var next = nextToken(response);
            if (string.IsNullOrEmpty(next))
            {
                yield break;
            }

            // A token handed out twice would loop until the deadline; an endpoint that does that has a bug we name.
            if (!seen.Add(next))
            {
                throw new InvalidOperationException($"{action} in {Region} returned the same NextToken twice; the listing cannot be completed.");
            }

            setNextToken(request, next);
        }
    }
}
