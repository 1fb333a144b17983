using Amazon.EC2;
using Amazon.EC2.Model;

namespace AmiRotator.Ec2;

/// <summary>The in-use check: DescribeImageReferences, or where an endpoint lacks it, the instance and launch template reads.</summary>
internal sealed partial class Ec2Region
{
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> FindReferencesAsync(IReadOnlyList<string> imageIds, CancellationToken ct)
    {
        var result = imageIds.Distinct(StringComparer.Ordinal).ToDictionary(id => id, _ => new List<string>(), StringComparer.Ordinal);
        try
        {
            await DescribeImageReferencesAsync(result, ct).ConfigureAwait(false);
        }
        catch (AmazonEC2Exception e) when (e.ErrorCode is "InvalidAction" or "UnsupportedOperation")
        {
            // Where the endpoint lacks DescribeImageReferences, check the two users that matter most ourselves.
            foreach (var list in result.Values)
            {
                list.Clear();
            }

            await FindInstanceAndLaunchTemplateUsersAsync(result, ct).ConfigureAwait(false);
        }

        return result.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)[.. kv.Value.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)], StringComparer.Ordinal);
    }

    private async Task FindInstanceAndLaunchTemplateUsersAsync(Dictionary<string, List<string>> result, CancellationToken ct)
    {
        foreach (var chunk in result.Keys.ToArray().Chunk(FilterValuesPerCall))
        {
            var instances = new DescribeInstancesRequest
            {
                Filters = [new Filter("image-id", [.. chunk]), new Filter("instance-state-name", ["pending", "running", "shutting-down", "stopping", "stopped"])],
                MaxResults = 1000,
            };
            await foreach (var reservation in DescribeInstancesPages(instances, ct).ConfigureAwait(false))
            {
                foreach (var instance in reservation.Instances ?? [])
                {
                    if (instance.ImageId is { } id && result.TryGetValue(id, out var list))
                    {
                        list.Add($"instance/{instance.InstanceId}");
                    }
                }
            }
        }

        await foreach (var template in DescribeLaunchTemplatesPages(new DescribeLaunchTemplatesRequest { MaxResults = 200 }, ct).ConfigureAwait(false))
        {
            // Every version (no Versions parameter), with the filter's values chunked like every other filter here.
            foreach (var chunk in result.Keys.ToArray().Chunk(FilterValuesPerCall))
            {
                var versions = new DescribeLaunchTemplateVersionsRequest
                {
                    LaunchTemplateId = template.LaunchTemplateId,
                    Filters = [new Filter("image-id", [.. chunk])],
                    MaxResults = 200,
                };
                await foreach (var version in DescribeLaunchTemplateVersionsPages(versions, ct).ConfigureAwait(false))
                {
                    // Filtered again here: the filter is an optimisation, the check must not depend on it.
                    if (version.LaunchTemplateData?.ImageId is { } id && result.TryGetValue(id, out var list))
                    {
                        list.Add($"launch-template/{template.LaunchTemplateId}/{version.VersionNumber}");
                    }
                }
            }
        }
    }

    private async Task DescribeImageReferencesAsync(Dictionary<string, List<string>> result, CancellationToken ct)
    {
        foreach (var chunk in result.Keys.ToArray().Chunk(ReferenceIdsPerCall))
        {
            // [API_ResourceTypeOption] version-depth: launch template versions are checked "starting from the most
            // recent version", default 10, at most 10000. An Auto Scaling group pinned to an older version still
            // launches from its AMI, so check them all; the value given overrides IncludeAllResourceTypes' default.
            var request = new DescribeImageReferencesRequest
            {
                ImageIds = [.. chunk],
                IncludeAllResourceTypes = true,
                ResourceTypes =
                [
                    new ResourceTypeRequest
                    {
                        ResourceType = ImageReferenceResourceType.Ec2LaunchTemplate,
                        ResourceTypeOptions = [new ResourceTypeOption { OptionName = ImageReferenceOptionName.VersionDepth, OptionValues = [LaunchTemplateVersionDepth] }],
                    },
                ],
            };
            await foreach (var reference in DescribeImageReferencesPages(request, ct).ConfigureAwait(false))
            {
                if (reference.ImageId is { } id && result.TryGetValue(id, out var list) && reference.Arn is { } arn)
                {
                    list.Add(arn);
                }
            }
        }
    }
}
