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
        calls.Pages("DescribeInstances", request, client.DescribeInstancesAsync, r => r.Reservations, r => r.NextToken, (q, t) => q.NextToken = t, ct);

    private IAsyncEnumerable<LaunchTemplate> DescribeLaunchTemplatesPages(DescribeLaunchTemplatesRequest request, CancellationToken ct) =>
        calls.Pages("DescribeLaunchTemplates", request, client.DescribeLaunchTemplatesAsync, r => r.LaunchTemplates, r => r.NextToken, (q, t) => q.NextToken = t, ct);

    private IAsyncEnumerable<LaunchTemplateVersion> DescribeLaunchTemplateVersionsPages(DescribeLaunchTemplateVersionsRequest request, CancellationToken ct) =>
        calls.Pages("DescribeLaunchTemplateVersions", request, client.DescribeLaunchTemplateVersionsAsync, r => r.LaunchTemplateVersions, r => r.NextToken, (q, t) => q.NextToken = t, ct);

    private IAsyncEnumerable<ImageReference> DescribeImageReferencesPages(DescribeImageReferencesRequest request, CancellationToken ct) =>
        calls.Pages("DescribeImageReferences", request, client.DescribeImageReferencesAsync, r => r.ImageReferences, r => r.NextToken, (q, t) => q.NextToken = t, ct);

    private IAsyncEnumerable<Image> DescribeImagesPages(DescribeImagesRequest request, CancellationToken ct) =>
        calls.Pages("DescribeImages", request, client.DescribeImagesAsync, r => r.Images, r => r.NextToken, (q, t) => q.NextToken = t, ct);

    private IAsyncEnumerable<ImageRecycleBinInfo> ListImagesInRecycleBinPages(ListImagesInRecycleBinRequest request, CancellationToken ct) =>
        calls.Pages("ListImagesInRecycleBin", request, client.ListImagesInRecycleBinAsync, r => r.Images, r => r.NextToken, (q, t) => q.NextToken = t, ct);

    private IAsyncEnumerable<Snapshot> DescribeSnapshotsPages(DescribeSnapshotsRequest request, CancellationToken ct) =>
        calls.Pages("DescribeSnapshots", request, client.DescribeSnapshotsAsync, r => r.Snapshots, r => r.NextToken, (q, t) => q.NextToken = t, ct);

    private IAsyncEnumerable<LockedSnapshotsInfo> DescribeLockedSnapshotsPages(DescribeLockedSnapshotsRequest request, CancellationToken ct) =>
        calls.Pages("DescribeLockedSnapshots", request, client.DescribeLockedSnapshotsAsync, r => r.Snapshots, r => r.NextToken, (q, t) => q.NextToken = t, ct);
}
