namespace Metrify.Bench;

/// <summary>How the benches start the metrify under test: the native executable as it ships
/// (<c>scripts/publish.sh</c>), or a <c>metrify.dll</c> through <c>dotnet</c> to compare with a JIT build.</summary>
internal static class MetrifyLauncher
{
    public static (string Program, string[] Prefix) For(string path) =>
        path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? ("dotnet", [Path.GetFullPath(path)]) : (Path.GetFullPath(path), []);
}
