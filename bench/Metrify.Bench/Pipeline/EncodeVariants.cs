using System.Diagnostics;
using Apache.Arrow;
using Metrify.Engine.Columnar;
using Metrify.Engine.Frames;
using Metrify.Engine.Frames.Csv;
using Metrify.Engine.Pipeline;
using ParquetSharp;
using ParquetSharp.Arrow;

namespace Metrify.Bench.Pipeline;

/// <summary>Exploration: how Arrow C++ writer settings change the encode time of the same decoded rows.</summary>
public static class EncodeVariants
{
    public static int Run(string[] args)
    {
        var path = args[0];
        using var input = new DecodedInput(path);
        var keep = input.Batches;
        var batches = keep.Select(b => b.ToRecordBatch()).ToList();
        var table = input.Table;
        var present = Enumerable.Range(0, table.Columns.Count).Where(c => keep[0].NullCount(c) < keep[0].Count).ToArray();
        var narrow = batches.Select(b => new RecordBatch(new Schema(present.Select(c => b.Schema.FieldsList[c]), null), present.Select(c => b.Column(c)), b.Length)).ToList();
        if (args.Length > 1 && args[1] == "hourly")
        {
            RunHourly(table, batches, narrow, present);
            return 0;
        }
        foreach (var (name, dict, threads, useNarrow, page) in new[]
        {
            ("dict strings+ts", "some", false, false, 0),
            ("dict all", "all", false, false, 0),
            ("dict none", "none", false, false, 0),
            ("dict some, threads", "some", true, false, 0),
            ("dict all, threads", "all", true, false, 0),
            ("narrow dict all", "all", false, true, 0),
            ("narrow dict all threads", "all", true, true, 0),
            ("dict all threads v2 pages", "all", true, false, 2),
        })
        {
            for (int run = 0; run < 2; run++)
            {
                var file = Path.Combine(Path.GetTempPath(), "variant.parquet");
                File.Delete(file);
                var clock = Stopwatch.StartNew();
                using var b = new WriterPropertiesBuilder().Compression(Compression.Zstd).CompressionLevel(3);
                if (dict == "none") b.DisableDictionary();
                if (dict == "some") foreach (var c in table.Columns) if (c.Kind == ColumnKind.Float64) b.DisableDictionary(c.Name);
                if (page == 2) b.DataPageVersion(ParquetDataPageVersion.V2);
                using var props = b.Build();
                using var ap = new ArrowWriterPropertiesBuilder().StoreSchema().UseThreads(threads).Build();
                var list = useNarrow ? narrow : batches;
                using (var w = new FileWriter(file, list[0].Schema, props, ap))
                {
                    int rows = 0;
                    foreach (var rb in list)
                    {
                        if (rows == 0) w.NewBufferedRowGroup();
                        w.WriteBufferedRecordBatch(rb);
                        rows += rb.Length;
                        if (rows >= 262_144) rows = 0;
                    }
                    w.Close();
                }
                if (run == 1) Console.WriteLine($"{name,-28} {clock.Elapsed.TotalSeconds:F3} s {new FileInfo(file).Length / 1e6:F1} MB");
            }
        }
        return 0;
    }

    /// <summary>One file per hour, as the lake writes them: the per-file and per-column-chunk costs show.</summary>
    private static void RunHourly(TableSpec table, List<RecordBatch> batches, List<RecordBatch> narrow, int[] present)
    {
        foreach (var (name, useNarrow, codec, nullDictOff) in new[]
        {
            ("hourly 22 cols zstd", false, Compression.Zstd, false),
            ("hourly 22 cols zstd, null cols plain", false, Compression.Zstd, true),
            ("hourly 22 cols snappy", false, Compression.Snappy, false),
            ("hourly 22 cols none", false, Compression.Uncompressed, false),
            ("hourly 8 cols zstd", true, Compression.Zstd, false),
        })
        {
            for (int run = 0; run < 2; run++)
            {
                var dir = Path.Combine(Path.GetTempPath(), "variant-hourly");
                if (Directory.Exists(dir)) Directory.Delete(dir, true);
                Directory.CreateDirectory(dir);
                var clock = Stopwatch.StartNew();
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                using var b = new WriterPropertiesBuilder().Compression(codec);
                if (codec == Compression.Zstd) b.CompressionLevel(3);
                if (nullDictOff) for (int c = 0; c < table.Columns.Count; c++) if (!present.Contains(c)) { b.DisableDictionary(table.Columns[c].Name); b.DisableStatistics(table.Columns[c].Name); }
                using var props = b.Build();
                using var ap = new ArrowWriterPropertiesBuilder().StoreSchema().UseThreads(true).Build();
                var list = useNarrow ? narrow : batches;
                FileWriter? w = null;
                long currentHour = long.MinValue;
                int files = 0;
                foreach (var rb in list)
                {
                    var ts = (Apache.Arrow.TimestampArray)rb.Column(useNarrow ? System.Array.IndexOf(present, table.PartitionColumnIndex) : table.PartitionColumnIndex);
                    int start = 0;
                    while (start < rb.Length)
                    {
                        long hour = ts.Values[start] / 3_600_000_000L;
                        int end = start;
                        while (end < rb.Length && ts.Values[end] / 3_600_000_000L == hour) end++;
                        if (hour != currentHour)
                        {
                            w?.Close(); w?.Dispose();
                            w = new FileWriter(Path.Combine(dir, $"{files++}.parquet"), rb.Schema, props, ap);
                            w.NewBufferedRowGroup();
                            currentHour = hour;
                        }
                        w!.WriteBufferedRecordBatch(rb.Slice(start, end - start));
                        start = end;
                    }
                }
                w?.Close(); w?.Dispose();
                if (run == 1) Console.WriteLine($"{name,-40} {clock.Elapsed.TotalSeconds:F3} s wall {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F3} s cpu, {files} files");
            }
        }
    }

}
