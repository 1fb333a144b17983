namespace AmiRotator.Tests.Deployment;

/// <summary>Paths of the deployment files, found from the test binaries by walking up to the solution.</summary>
internal static class RepositoryFiles
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    public static string Root => RootPath.Value;

    public static string Template => Path.Combine(Root, "template.yaml");

    public static string SamConfig => Path.Combine(Root, "samconfig.toml");

    public static string Readme => Path.Combine(Root, "README.md");

    public static string EventsDirectory => Path.Combine(Root, "events");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AmiRotator.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"AmiRotator.sln not found above {AppContext.BaseDirectory}.");
    }
}
