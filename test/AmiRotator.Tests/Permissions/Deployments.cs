using AmiRotator.Tests.Deployment;
using Xunit;

namespace AmiRotator.Tests.Permissions;

/// <summary>The parameter sets the IAM tests deploy: every branch of the template's KMS and DR conditions.</summary>
internal static class Deployments
{
    public const string Dr = "us-west-2";
    public const string DrKeyId = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
    public const string DrMultiRegionKeyId = "mrk-0123456789abcdef0123456789abcdef";
    public static readonly string SourceKeyArn = PermissionWorld.KeyArn(DeployedStack.Region, "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d");
    public static readonly string DrDefaultKeyArn = PermissionWorld.KeyArn(Dr, "7e8f9a0b-1c2d-4e3f-9a4b-5c6d7e8f9a0b");

    public static IEnumerable<(string Name, Dictionary<string, string> Parameters, WorldKeys Keys)> Cases()
    {
        yield return ("no DR Region", [], new WorldKeys());
        yield return ("DR Region", new() { ["DrRegion"] = Dr }, new WorldKeys());
        yield return ("DR key ARN", new() { ["DrRegion"] = Dr, ["DrKmsKeyId"] = PermissionWorld.KeyArn(Dr, DrKeyId) }, new WorldKeys());
        yield return ("DR key id", new() { ["DrRegion"] = Dr, ["DrKmsKeyId"] = DrKeyId }, new WorldKeys());
        yield return ("DR multi-Region key id", new() { ["DrRegion"] = Dr, ["DrKmsKeyId"] = DrMultiRegionKeyId }, new WorldKeys());
        yield return ("DR key alias", new() { ["DrRegion"] = Dr, ["DrKmsKeyId"] = "alias/ami-rotator-dr" }, new WorldKeys());
        yield return ("customer managed keys at home and as the DR default",
            new() { ["DrRegion"] = Dr, ["SourceKmsKeyArns"] = SourceKeyArn, ["DrEbsDefaultKmsKeyArn"] = DrDefaultKeyArn },
            new WorldKeys([SourceKeyArn], DrDefaultKeyArn));
        yield return ("own backup tag", new() { ["DrRegion"] = Dr, ["BackupTag"] = "backup-plan=nightly" }, new WorldKeys());
        yield return ("restore drills", new() { ["DrRegion"] = Dr, ["DrillSubnetId"] = DrillCallTable.Subnet, ["DrillSecurityGroupId"] = DrillCallTable.SecurityGroup }, new WorldKeys());
    }

    public static IEnumerable<PermissionWorld> Sam() =>
        Cases().Select(c => new PermissionWorld($"SAM: {c.Name}", c.Parameters, DeployedStack.FromSam(c.Parameters), c.Keys));

    public static IEnumerable<PermissionWorld> StackSet() =>
        Cases().Select(c => new PermissionWorld($"StackSet: {c.Name}", c.Parameters, DeployedStack.FromStackSet(c.Parameters), c.Keys));

    public static IEnumerable<PermissionWorld> All() => Sam().Concat(StackSet());

    public static PermissionWorld Named(string name)
    {
        var kind = name[..name.IndexOf(':', StringComparison.Ordinal)];
        var (caseName, parameters, keys) = Cases().Single(c => name == $"{kind}: {c.Name}");
        var stack = kind == "SAM" ? DeployedStack.FromSam(parameters) : DeployedStack.FromStackSet(parameters);
        return new PermissionWorld(name, parameters, stack, keys);
    }

    /// <summary>xUnit data: world names (a world is rebuilt per test, so a failure names the deployment).</summary>
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var kind in new[] { "SAM", "StackSet" })
        {
            foreach (var (name, _, _) in Cases())
            {
                data.Add($"{kind}: {name}");
            }
        }

        return data;
    }
}
