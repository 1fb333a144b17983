using System.Text.RegularExpressions;
using Amazon.EC2;
using Amazon.Runtime;
using AmiRotator.Configuration;
using AmiRotator.Ec2;
using AmiRotator.Inventory;
using AmiRotator.Reporting;

namespace AmiRotator.Preflight;

/// <summary>
/// The <c>preflight</c> action: proves the deployed role in the real account and changes nothing. It makes the
/// reads a pass makes (each on its own, so one denied read doesn't hide the others), then sends every mutating request
/// a pass sends with DryRun=true against real resources, and answers a table of permission, Region and verdict.
/// </summary>
internal sealed partial class PreflightCheck(Settings settings, IEc2Region source, IEc2Region? dr, TimeProvider clock, Log log)
{
    public const string Allowed = "allowed";
    public const string Denied = "denied";
    public const string Untested = "untested";
    public const string Error = "error";

    public async Task<Summary> RunAsync(string accountId, string requestId, CancellationToken ct)
    {
        var rows = new List<PermissionEntry>();
        var home = await ReadRegionAsync(source, accountId, rows, ct).ConfigureAwait(false);
        var instances = await ReadAsync(rows, "ec2:DescribeInstances", source.Region, $"instances tagged {settings.BackupTag}",
            () => source.ListInstancesAsync(settings.BackupTag.Key, settings.BackupTag.Value, null, ct)).ConfigureAwait(false) ?? [];
        var away = dr is null ? null : await ReadRegionAsync(dr, accountId, rows, ct).ConfigureAwait(false);
        var inventory = new Inventory.Inventory(accountId, instances, home, away);

        // The in-use check with the options the pass uses; EC2 makes its SSM and Image Builder reads with our role.
        foreach (var (region, read) in new[] { (source, home), (dr, away) })
        {
            if (region is null || read is null)
            {
                continue;
            }

            if (read.Images.FirstOrDefault() is not { } image)
            {
                rows.Add(new PermissionEntry("ec2:DescribeImageReferences", region.Region, Untested, "-", $"no image of this account in {region.Region} to ask about"));
                continue;
            }

            await ReadAsync(rows, "ec2:DescribeImageReferences", region.Region, image.ImageId, () => region.FindReferencesAsync([image.ImageId], ct)).ConfigureAwait(false);
        }

        foreach (var probe in PreflightProbes.Plan(settings, inventory, clock.GetUtcNow(), requestId))
        {
            rows.Add(await SendAsync(probe, ct).ConfigureAwait(false));
        }

        foreach (var row in rows)
        {
            var fields = new (string, object?)[] { ("permission", row.Permission), ("region", row.Region), ("verdict", row.Verdict), ("subject", row.Subject), ("detail", row.Detail) };
            if (row.Verdict is Denied or Error)
            {
                log.Error("preflight", fields);
            }
            else
            {
                log.Info("preflight", fields);
            }
        }

        var failures = rows.Where(r => r.Verdict is Denied or Error)
            .Select(r => new FailureEntry(r.Permission, r.Region, null, "preflight", $"{r.Verdict}: {r.Detail}"))
            .ToList();
        var message = $"{rows.Count(r => r.Verdict == Allowed)} allowed, {rows.Count(r => r.Verdict == Denied)} denied, " +
                      $"{rows.Count(r => r.Verdict == Error)} errors, {rows.Count(r => r.Verdict == Untested)} untested" +
                      (rows.Any(r => r.Verdict == Untested) ? " (an untested permission has no resource to try it on yet; run preflight again after the first night)" : "") +
                      "; nothing was changed.";
        return new Summary("preflight", DryRun: true, settings.Region, settings.DrRegion, null, [], [], [], [], [], [], failures, Message: message, Permissions: rows);
    }

    private async Task<RegionInventory> ReadRegionAsync(IEc2Region region, string accountId, List<PermissionEntry> rows, CancellationToken ct)
    {
        var images = await ReadAsync(rows, "ec2:DescribeImages", region.Region, "images of this account", () => region.ListOwnedImagesAsync(null, ct)).ConfigureAwait(false);
        var snapshots = await ReadAsync(rows, "ec2:DescribeSnapshots", region.Region, "managed snapshots", () => region.ListManagedSnapshotsAsync(accountId, ct)).ConfigureAwait(false);
        return new RegionInventory(region.Region, images ?? [], snapshots ?? []);
    }

    private static async Task<T?> ReadAsync<T>(List<PermissionEntry> rows, string permission, string region, string subject, Func<Task<T>> read)
        where T : class
    {
        try
        {
            var result = await read().ConfigureAwait(false);
            rows.Add(new PermissionEntry(permission, region, Allowed, subject));
            return result;
        }
        catch (AmazonEC2Exception e) when (e.ErrorCode == Ec2Errors.Unauthorized)
        {
            rows.Add(new PermissionEntry(permission, region, Denied, subject, Missing(e.Message, permission, $"* in {region}")));
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException)
        {
            rows.Add(new PermissionEntry(permission, region, Error, subject, e.Message));
        }

        return null;
    }

    private async Task<PermissionEntry> SendAsync(Probe probe, CancellationToken ct)
    {
        if (probe.Request is not { } request)
        {
            return new PermissionEntry(probe.Permission, probe.Region, Untested, probe.Subject, probe.Untested);
        }

        var region = probe.Region == source.Region ? source : dr!;
        try
        {
            var verdict = await region.DryRunAsync(request, ct).ConfigureAwait(false);
            return verdict.Allowed
                ? new PermissionEntry(probe.Permission, probe.Region, Allowed, probe.Subject, "DryRunOperation")
                : new PermissionEntry(probe.Permission, probe.Region, Denied, probe.Subject, Missing(verdict.Message, request.Action, request.Resources(probe.Region)));
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException or InvalidOperationException)
        {
            return new PermissionEntry(probe.Permission, probe.Region, Error, probe.Subject, e.Message);
        }
    }

    /// <summary>
    /// What is missing. EC2's message names the action and resource when IAM tells it ("… is not authorized to perform:
    /// ACTION on resource: ARN …"); otherwise it is only an encoded message, so name the action and everything the
    /// request is authorised against, and say how to decode the rest.
    /// </summary>
    internal static string Missing(string? message, string action, string resources)
    {
        if (message is not null && NotAuthorized().Match(message) is { Success: true } match)
        {
            return $"missing {match.Groups["action"].Value} on {match.Groups["resource"].Value}";
        }

        return $"missing {action} on {resources}; decode EC2's message with 'aws sts decode-authorization-message --encoded-message …' for the exact statement" +
               (message is null ? "" : $" (EC2: {message})");
    }

    [GeneratedRegex(@"not authorized to perform: (?<action>[A-Za-z0-9-]+:[A-Za-z0-9]+) on resource: (?<resource>\S+?)(?: because|\.?\s|$)")]
    private static partial Regex NotAuthorized();
}
