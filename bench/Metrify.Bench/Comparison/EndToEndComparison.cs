using System.Diagnostics;
using System.Globalization;
using System.Text;
using Metrify.Engine.Lake;
using Metrify.Engine.Pipeline;
using Metrify.Engine.Simulation;

namespace Metrify.Bench.Comparison;

/// <summary>
/// The end-to-end race: `metrify ingest` against DuckDB's own CSV (and JSON) to zstd Parquet, each as a separate
/// cold process on the same file, alternating, several runs. Wall time and CPU come from the child's rusage
/// (GNU time), peak memory is its maximum RSS. Bytes allocated per reading are measured in process on a warm
/// second ingest (steady state), since a child process cannot report its GC counters.
/// </summary>
public static class EndToEndComparison
{
    public static int Run(string[] args)
    {
        string work = Arg(args, "--work") ?? Path.Combine(Path.GetTempPath(), "metrify-compare");
        string metrify = Arg(args, "--metrify") ?? throw new ArgumentException("--metrify PATH/metrify (or a metrify.dll) is required");
        var (program, prefix) = MetrifyLauncher.For(metrify);
        string launch = string.Join(' ', prefix);
        int readings = int.Parse(Arg(args, "--readings") ?? "5000000", CultureInfo.InvariantCulture);
        int runs = int.Parse(Arg(args, "--runs") ?? "5", CultureInfo.InvariantCulture);
        bool durable = Arg(args, "--durable") == "true";
        var data = Prepare(work, readings);
        // DuckDB runs as its own CLI would: the bundled libduckdb through its C API (bench/duckdb-copy.c), no managed host.
        string duckdb = Path.GetFullPath(Arg(args, "--duckdb") ?? "artifacts/duckdb-copy");
        if (!File.Exists(duckdb)) throw new ArgumentException($"--duckdb: {duckdb} does not exist; bench/run.sh builds it from bench/duckdb-copy.c");
        var report = new StringBuilder();
        foreach (var (format, reader, file) in new[] { ("CSV", "read_csv", "readings.csv"), ("JSON lines", "read_json_auto", "readings.jsonl") })
        {
            var input = Path.Combine(data, file);
            long bytes = new FileInfo(input).Length;
            long rows = File.ReadLines(Path.Combine(data, "readings.csv")).LongCount() - 1;
            var ours = new List<Sample>();
            var plain = new List<Sample>();
            var theirs = new List<Sample>();
            for (int i = 0; i < runs; i++)
            {
                var lake = Path.Combine(work, "lake");
                if (Directory.Exists(lake)) Directory.Delete(lake, true);
                (string, string)[] env = durable ? [] : [("METRIFY__LAKE__DURABLE", "false")];
                ours.Add(Measure(program, $"{launch} ingest {input} --lake {lake}", env));
                // The same without the series checks and aggregates: the conversion DuckDB does, and the cost of both.
                Directory.Delete(lake, true);
                plain.Add(Measure(program, $"{launch} ingest {input} --lake {lake}", [.. env, ("METRIFY__QUALITY__SERIESCHECKS", "false")]));
                var output = Path.Combine(work, "duckdb.parquet");
                File.Delete(output);
                theirs.Add(Measure(duckdb, $"{input} {output} {reader}", []));
            }
            double allocated = AllocatedPerReading(input, durable);
            report.Append(Table(format, rows, bytes, ours, plain, theirs, allocated, durable));
        }
        Console.WriteLine(report);
        return 0;
    }

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>Simulated readings without faults (DuckDB's reader stops at malformed lines), CSV and JSON lines.</summary>
    private static string Prepare(string work, int readings)
    {
        var data = Path.Combine(work, $"data-{readings}");
        if (File.Exists(Path.Combine(data, "readings.jsonl"))) return data;
        int days = 10, meters = Math.Max(1, readings / (96 * days));
        new FleetSimulator(new SimulationOptions { Meters = meters, Days = days, OutputDirectory = data, Faults = FaultRates.None }).Run();
        return data;
    }

    private sealed record Sample(double Wall, double Cpu, long PeakKb);

    private static Sample Measure(string program, string arguments, (string, string)[] environment)
    {
        var timeFile = Path.GetTempFileName();
        var start = new ProcessStartInfo("/usr/bin/time", $"-f \"%e %U %S %M\" -o {timeFile} {program} {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (k, v) in environment) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        process.StandardOutput.ReadToEnd();
        var err = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {arguments} failed: {err}");
        var f = File.ReadAllText(timeFile).Trim().Split(' ');
        File.Delete(timeFile);
        return new Sample(double.Parse(f[0], CultureInfo.InvariantCulture),
            double.Parse(f[1], CultureInfo.InvariantCulture) + double.Parse(f[2], CultureInfo.InvariantCulture), long.Parse(f[3], CultureInfo.InvariantCulture));
    }

    /// <summary>Managed bytes allocated per reading by a warm in-process ingest (the second of two).</summary>
    private static double AllocatedPerReading(string input, bool durable)
    {
        var lake = Path.Combine(Path.GetTempPath(), "metrify-compare-alloc");
        // A second ingestor: the first would know the content and skip it (its series state has every row).
        using (var warm = new Ingestor(new LakeOptions { Root = lake, Durable = durable }, new IngestOptions())) warm.IngestFile(input);
        using var ingestor = new Ingestor(new LakeOptions { Root = lake, Durable = durable }, new IngestOptions());
        long before = GC.GetTotalAllocatedBytes(true);
        var result = ingestor.IngestFile(input);
        long allocated = GC.GetTotalAllocatedBytes(true) - before;
        Directory.Delete(lake, true);
        return allocated / (double)result.Stats.Rows;
    }

    private static string Table(string format, long rows, long bytes, List<Sample> ours, List<Sample> plain, List<Sample> theirs, double allocated, bool durable)
    {
        static double Median(IEnumerable<double> v) { var s = v.Order().ToList(); return s[s.Count / 2]; }
        double ourWall = Median(ours.Select(s => s.Wall)), theirWall = Median(theirs.Select(s => s.Wall)), plainWall = Median(plain.Select(s => s.Wall));
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"### {format}: {rows:N0} readings, {bytes / 1e6:F0} MB, {ours.Count} runs each (median; best in brackets)");
        sb.AppendLine();
        sb.AppendLine("| | wall s | readings/s | input MB/s | CPU s | peak RSS MB | managed bytes allocated / reading |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"| metrify ingest{(durable ? "" : " (Lake:Durable=false)")} | {ourWall:F2} ({ours.Min(s => s.Wall):F2}) | {rows / ourWall:N0} | {bytes / 1e6 / ourWall:F0} | {Median(ours.Select(s => s.Cpu)):F2} | {Median(ours.Select(s => (double)s.PeakKb)) / 1024:F0} | {allocated:F3} |");
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"| metrify ingest, Quality:SeriesChecks=false (no series checks, no aggregates) | {plainWall:F2} ({plain.Min(s => s.Wall):F2}) | {rows / plainWall:N0} | {bytes / 1e6 / plainWall:F0} | {Median(plain.Select(s => s.Cpu)):F2} | {Median(plain.Select(s => (double)s.PeakKb)) / 1024:F0} | |");
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"| DuckDB COPY | {theirWall:F2} ({theirs.Min(s => s.Wall):F2}) | {rows / theirWall:N0} | {bytes / 1e6 / theirWall:F0} | {Median(theirs.Select(s => s.Cpu)):F2} | {Median(theirs.Select(s => (double)s.PeakKb)) / 1024:F0} | n/a |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| **ratio** (DuckDB / metrify) | **{theirWall / ourWall:F2}x**, without series checks and aggregates {theirWall / plainWall:F2}x | | | | | |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| series checks and aggregates | {(ourWall - plainWall) / ourWall:P0} of the ingest's wall time, {(Median(ours.Select(s => s.Cpu)) - Median(plain.Select(s => s.Cpu))) / Median(ours.Select(s => s.Cpu)):P0} of its CPU time | | | | | |");
        sb.AppendLine();
        return sb.ToString();
    }
}
