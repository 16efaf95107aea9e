namespace Metrify.Tests.Shared;

/// <summary>Where the repository's test data lives, found from the test binaries.</summary>
public static class Conformance
{
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Metrify.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Metrify.sln not found above the test binaries.");
    }

    /// <summary>A file of tests/conformance/meter-frames (the real meter captures).</summary>
    public static string MeterFrames(params string[] parts) =>
        Path.Combine([RepoRoot(), "tests", "conformance", "meter-frames", .. parts]);
}
