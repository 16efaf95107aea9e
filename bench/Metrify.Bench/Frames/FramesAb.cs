using System.Reflection;
using System.Runtime.Loader;

namespace Metrify.Bench.Frames;

/// <summary>
/// <c>frames-ab p1|sml SECONDS DIR_A DIR_B</c>: two builds of the bench (and so of the engine) loaded side by side in
/// one process, each in its own load context, their passes over the capture alternated. Both builds then see the
/// same host: on a shared VM whose speed drifts by half within minutes, separate runs cannot show a 5 % change, an
/// interleaved pair can. Prints each build's median and best pass and the median of the per-pair ratios B/A.
/// </summary>
public static class FramesAb
{
    public static int Run(string[] args)
    {
        bool sml = args[0] == "sml";
        double seconds = double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
        var builds = new[] { Load(args[2], sml), Load(args[3], sml) };
        foreach (var pass in builds) for (int i = 0; i < 5; i++) pass(); // past the JIT's tiers
        var a = new List<double>();
        var b = new List<double>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            // A then B, then B then A: whichever runs second inherits the caches the first left.
            if ((a.Count & 1) == 0) { a.Add(builds[0]()); b.Add(builds[1]()); }
            else { b.Add(builds[1]()); a.Add(builds[0]()); }
        }
        var ratios = a.Zip(b, (x, y) => y / x).Order().ToList();
        Console.WriteLine($"{(sml ? "SML" : "P1")}, {a.Count} pairs of passes, thread CPU ns a frame:");
        Console.WriteLine($"  A {args[2]}: median {Median(a):F0}, best {a.Min():F0}");
        Console.WriteLine($"  B {args[3]}: median {Median(b):F0}, best {b.Min():F0}");
        Console.WriteLine($"  B/A per pair: median {Median(ratios):F3} (middle half {ratios[ratios.Count / 4]:F3}-{ratios[3 * ratios.Count / 4]:F3})");
        return 0;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    /// <summary>Loads Metrify.Bench and everything beside it from <paramref name="directory"/> into a context of its
    /// own, prepares its reader, and returns its pass.</summary>
    private static Func<double> Load(string directory, bool sml)
    {
        var context = new BuildContext(Path.GetFullPath(directory));
        var bench = context.LoadFromAssemblyPath(Path.Combine(context.Directory, "Metrify.Bench.dll"))
            .GetType(typeof(MeterFrameBench).FullName!)!;
        bench.GetMethod(nameof(MeterFrameBench.PrepareAb))!.Invoke(null, [sml]);
        return bench.GetMethod(nameof(MeterFrameBench.PassAb))!.CreateDelegate<Func<double>>();
    }

    private sealed class BuildContext(string directory) : AssemblyLoadContext(directory)
    {
        public string Directory { get; } = directory;

        protected override Assembly? Load(AssemblyName name)
        {
            var path = Path.Combine(Directory, name.Name + ".dll");
            return File.Exists(path) && !name.Name!.StartsWith("System.", StringComparison.Ordinal) ? LoadFromAssemblyPath(path) : null;
        }
    }
}
