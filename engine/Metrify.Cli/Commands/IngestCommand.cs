using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Metrify.Engine.Columnar;
using Metrify.Engine.Frames;
using Metrify.Engine.Pipeline;
using Spectre.Console;

namespace Metrify.Cli.Commands;

/// <summary><c>metrify ingest PATH...</c>: files, folders and globs into the lake, with progress and a summary.</summary>
internal static class IngestCommand
{
    public static Command Create(TextWriter stdout)
    {
        var paths = new Argument<string[]>("paths") { Description = "Files, folders or globs (CSV, JSON lines, P1 telegrams, SML frames, hex dumps).", Arity = ArgumentArity.OneOrMore };
        var config = CommonOptions.Config();
        var lake = CommonOptions.Lake();
        var table = new Option<string?>("--table") { Description = "Decode every input into this table instead of detecting it." };
        var encoder = new Option<string?>("--encoder") { Description = "Parquet encoder: Metrify, ParquetSharp or ParquetNet (setting Lake:Encoder)." };
        var compression = new Option<string?>("--compression") { Description = "zstd, snappy, lz4, gzip or none (setting Lake:Compression)." };
        var level = new Option<int?>("--compression-level") { Description = "Codec level (setting Lake:CompressionLevel)." };
        var rowGroup = new Option<int?>("--row-group-rows") { Description = "Rows per row group (setting Lake:RowGroupRows)." };
        var threads = new Option<int?>("--threads") { Description = "Parquet encoding threads (setting Ingest:EncoderThreads)." };
        var command = new Command("ingest", "Ingest files into the lake.") { paths, config, lake, table, encoder, compression, level, rowGroup, threads };
        command.SetAction(parse =>
        {
            var inputs = InputExpander.Expand(parse.GetValue(paths)!);
            var settings = CommonOptions.Load(parse, config, lake, new Dictionary<string, string?>
            {
                ["Lake:Encoder"] = parse.GetValue(encoder),
                ["Lake:Compression"] = parse.GetValue(compression),
                ["Lake:CompressionLevel"] = parse.GetValue(level)?.ToString(CultureInfo.InvariantCulture),
                ["Lake:RowGroupRows"] = parse.GetValue(rowGroup)?.ToString(CultureInfo.InvariantCulture),
                ["Ingest:EncoderThreads"] = parse.GetValue(threads)?.ToString(CultureInfo.InvariantCulture),
            });
            TableSpec? forced = null;
            if (parse.GetValue(table) is { } name)
                forced = Tables.Find(name) is { } t && Tables.Decodable.Contains(t) ? t
                    : throw new OperatorException($"--table: '{name}' is not one of {string.Join(", ", Tables.Decodable.Select(x => x.Name))}.");
            var results = Run(settings, inputs, forced, stdout);
            IngestReport.Write(stdout, results);
            return CliErrors.Ok;
        });
        return command;
    }

    internal static IngestRun Run(Settings.MetrifySettings settings, List<InputFile> inputs, TableSpec? forced, TextWriter stdout)
    {
        var clock = Stopwatch.StartNew();
        var results = new List<IngestResult>();
        using var ingestor = new Ingestor(settings.Lake, settings.Ingest, settings.Frames, settings.Quality);
        long totalBytes = inputs.Sum(i => new FileInfo(i.Path).Length);
        bool interactive = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        if (interactive)
        {
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("ingest", maxValue: Math.Max(1, totalBytes));
                    long done = 0;
                    foreach (var input in inputs)
                    {
                        task.Description = Path.GetFileName(input.Path);
                        var progress = new InlineProgress(b => task.Value = done + b);
                        results.Add(IngestOne(ingestor, input, forced, progress));
                        done += results[^1].Bytes;
                        task.Value = done;
                    }
                });
        }
        else
        {
            foreach (var input in inputs)
            {
                var r = IngestOne(ingestor, input, forced, null);
                results.Add(r);
                if (r.Skipped is null)
                    stdout.WriteLine(r.Frames is { } f
                        ? string.Create(CultureInfo.InvariantCulture, $"ingested {input.Path}: {f.FramesAccepted:N0} {r.Format} frames into {f.ReadingRows - r.Stats.DuplicatesDropped:N0} readings, {f.RegisterRows:N0} registers, {f.GasRows:N0} gas rows, {f.FramesQuarantined:N0} quarantined, {f.BytesSkipped:N0} bytes skipped, {r.Files.Count} files, {r.Elapsed.TotalSeconds:F2} s")
                        : string.Create(CultureInfo.InvariantCulture, $"ingested {input.Path}: {r.Stats.Rows:N0} rows into {r.Table!.Name}, {r.Stats.Quarantined:N0} quarantined, {r.Files.Count} files, {r.Elapsed.TotalSeconds:F2} s"));
            }
        }
        return new IngestRun(results, clock.Elapsed);
    }

    private static IngestResult IngestOne(Ingestor ingestor, InputFile input, TableSpec? forced, IProgress<long>? progress)
    {
        var result = ingestor.IngestFile(input.Path, forced, progress);
        if (result.Skipped is not null && input.Named && !result.AlreadyIngested)
            throw new OperatorException($"{input.Path}: {result.Skipped}; name the table with --table if this file is meant for one.");
        return result;
    }

    /// <summary>Synchronous progress: <see cref="Progress{T}"/> would post to the thread pool and allocate per report.</summary>
    private sealed class InlineProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}

internal sealed record IngestRun(List<IngestResult> Results, TimeSpan Elapsed);

/// <summary>The summary table and the once-per-kind notes printed after an ingest.</summary>
internal static class IngestReport
{
    public static void Write(TextWriter stdout, IngestRun run)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = ReferenceEquals(stdout, Console.Out) ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = ReferenceEquals(stdout, Console.Out) ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        if (!ReferenceEquals(stdout, Console.Out)) console.Profile.Width = 160;
        var ingested = run.Results.Where(r => r.Table is not null).ToList();
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("table", "inputs", "rows", "quarantined", "parquet files", "input MB");
        foreach (var group in ingested.SelectMany(r => RowsPerTable(r).Select(t => (Table: t.Key, Rows: t.Value, Result: r))).GroupBy(x => x.Table))
        {
            table.AddRow(group.Key, N(group.Count()), N(group.Sum(x => x.Rows)), N(group.Where(x => x.Table == x.Result.Table!.Name).Sum(x => x.Result.Stats.Quarantined)),
                N(group.Sum(x => x.Result.Files.Count(f => f.Table == group.Key))),
                (group.Where(x => x.Table == x.Result.Table!.Name).Sum(x => x.Result.Bytes) / 1e6).ToString("F1", CultureInfo.InvariantCulture));
        }
        long quarantineFiles = ingested.Sum(r => r.Files.Count(f => f.Table == Tables.Quarantine.Name));
        if (quarantineFiles > 0)
            table.AddRow("quarantine", "", N(ingested.Sum(r => r.Stats.Quarantined)), "", N(quarantineFiles), "");
        console.Write(table);

        long rows = ingested.Sum(r => RowsPerTable(r).Values.Sum()), bytes = ingested.Sum(r => r.Bytes);
        double seconds = Math.Max(run.Elapsed.TotalSeconds, 1e-9);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{rows:N0} rows in {run.Elapsed.TotalSeconds:F2} s: {rows / seconds:N0} rows/s, {bytes / 1e6 / seconds:F1} MB/s"));

        var reasons = new SortedDictionary<QuarantineReason, (long Count, string First)>();
        foreach (var r in ingested)
            foreach (var (reason, detail) in r.FirstQuarantineDetails)
            {
                long count = r.Stats.PerReason[(int)reason];
                reasons[reason] = reasons.TryGetValue(reason, out var seen)
                    ? (seen.Count + count, seen.First)
                    : (count, $"{Path.GetFileName(r.Path)} {detail}");
            }
        foreach (var (reason, (count, first)) in reasons)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"quarantined {count:N0} x {QuarantineReasons.Code(reason)}, first: {first}"));
        var all = new DecodeStats();
        foreach (var r in ingested) all.Add(r.Stats);
        if (all.DuplicatesDropped > 0)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dropped {all.DuplicatesDropped:N0} identical duplicates (same series, instant and values as a row already taken)"));
        if (all.ScoredRows > 0)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"quality score {all.QualityScore:F4} (lowest batch {all.LowestBatchScore:F4}): {all.CleanRows:N0} clean rows / ({all.ScoredRows:N0} rows + {all.MissingIntervals:N0} missing intervals)"));
        foreach (var r in ingested.Where(r => r.ExtraColumns.Count > 0))
            stdout.WriteLine($"ignored columns in {Path.GetFileName(r.Path)}: {string.Join(", ", r.ExtraColumns)}");
        foreach (var r in run.Results.Where(r => r.Skipped is not null))
            stdout.WriteLine($"skipped {Path.GetFileName(r.Path)}: {r.Skipped}");
    }

    /// <summary>A frame input fills readings, registers and gas; a text input its one table.</summary>
    private static Dictionary<string, long> RowsPerTable(IngestResult r) => r.Frames is { } f
        ? new() { [Tables.Readings.Name] = f.ReadingRows - r.Stats.DuplicatesDropped, [Tables.Registers.Name] = f.RegisterRows, [Tables.Gas.Name] = f.GasRows }
        : new() { [r.Table!.Name] = r.Stats.Rows };

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
