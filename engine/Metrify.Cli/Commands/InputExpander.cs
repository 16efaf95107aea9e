using Metrify.Engine.Pipeline;
using Microsoft.Extensions.FileSystemGlobbing;

namespace Metrify.Cli.Commands;

/// <summary>One input file, and whether the user named it (an unrecognised named file is an error, a file found in a
/// folder is skipped with a note).</summary>
internal readonly record struct InputFile(string Path, bool Named);

/// <summary>Turns files, folders and globs into input files, in a stable (sorted) order.</summary>
internal static class InputExpander
{
    private static readonly string[] DataExtensions = [".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json", ".p1", ".bin", ".hex"];

    public static List<InputFile> Expand(IEnumerable<string> arguments)
    {
        var result = new List<InputFile>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var argument in arguments)
        {
            var found = new List<InputFile>();
            if (argument.AsSpan().IndexOfAny('*', '?', '[') >= 0)
            {
                var (root, pattern) = SplitGlob(argument);
                var matcher = new Matcher(StringComparison.Ordinal);
                matcher.AddInclude(pattern);
                foreach (var f in matcher.GetResultsInFullPath(root)) found.Add(new InputFile(f, false));
                if (found.Count == 0) throw new OperatorException($"{argument}: no file matches.");
            }
            else if (Directory.Exists(argument))
            {
                foreach (var f in Directory.EnumerateFiles(argument, "*", SearchOption.AllDirectories))
                    if (DataExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()) && !IsHidden(f)) found.Add(new InputFile(Path.GetFullPath(f), false));
            }
            else if (File.Exists(argument))
            {
                found.Add(new InputFile(Path.GetFullPath(argument), true));
            }
            else
            {
                throw new OperatorException($"{argument}: no such file or folder.");
            }
            foreach (var f in found.OrderBy(f => f.Path, StringComparer.Ordinal))
                if (seen.Add(f.Path)) result.Add(f);
        }
        return result;
    }

    private static bool IsHidden(string path) => Path.GetFileName(path).StartsWith('.');

    private static (string Root, string Pattern) SplitGlob(string glob)
    {
        var parts = glob.Replace('\\', '/').Split('/');
        int firstWild = Array.FindIndex(parts, p => p.AsSpan().IndexOfAny('*', '?', '[') >= 0);
        var root = string.Join('/', parts[..firstWild]);
        if (root.Length == 0) root = glob.StartsWith('/') ? "/" : ".";
        return (root, string.Join('/', parts[firstWild..]));
    }
}
