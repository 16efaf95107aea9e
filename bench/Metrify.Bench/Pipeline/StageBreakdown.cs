using System.Diagnostics;
using Metrify.Engine.Columnar;
using Metrify.Engine.Frames;
using Metrify.Engine.Frames.Csv;
using Metrify.Engine.Lake;
using Metrify.Engine.Pipeline;

namespace Metrify.Bench.Pipeline;

/// <summary>
/// Times the ingest of one file stage by stage, in process: read only, read + decode, read + decode + partition,
/// and the whole ingest. Wall-clock, warm (each stage runs twice; the second run counts).
/// </summary>
public static class StageBreakdown
{
    public static int Run(string[] args)
    {
        var path = args[0];
        // One stage, 15 times, for A/B work on a noisy host: decode-min (CSV or JSON lines), checks-min (CSV decode
        // and every check and aggregate, rows not written), aggregates-min (the same, aggregate rows written to
        // Parquet on encoder threads; CPU time reported too), ingest-min and plain-ingest-min (the whole ingest in
        // process, with and without the series checks and aggregates).
        if (args.Length > 1 && args[1] is "decode-min" or "checks-min" or "aggregates-min" or "ingest-min" or "plain-ingest-min")
        {
            var times = new List<double>();
            var cpu = new List<double>();
            var data = File.ReadAllBytes(path);
            for (int i = 0; i < 15; i++)
            {
                var clock = Stopwatch.StartNew();
                var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                if (args[1] == "checks-min") Decode(path, partition: false, checks: true);
                else if (args[1] == "aggregates-min") Decode(path, partition: false, checks: true, writeAggregates: true);
                else if (args[1] == "ingest-min") Ingest(path);
                else if (args[1] == "plain-ingest-min") Ingest(path, seriesChecks: false);
                else if (path.EndsWith(".jsonl", StringComparison.Ordinal)) DecodeJson(data);
                else Decode(path, partition: false);
                times.Add(clock.Elapsed.TotalSeconds);
                cpu.Add((Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds);
            }
            Console.WriteLine($"{args[1][..^4]}: min {times.Min():F3} s, median {times.Order().ElementAt(7):F3} s; CPU min {cpu.Min():F2} s, median {cpu.Order().ElementAt(7):F2} s");
            return 0;
        }
        var bytes = new FileInfo(path).Length;
        Report("read", bytes, () => ReadOnly(path));
        Report("read+decode", bytes, () => Decode(path, partition: false));
        Report("read+decode+partition", bytes, () => Decode(path, partition: true));
        Report("read+decode+checks", bytes, () => Decode(path, partition: false, checks: true));
        Report("... + aggregates written", bytes, () => Decode(path, partition: false, checks: true, writeAggregates: true));
        Report("encode one file (decoded)", bytes, () => EncodeOnly(path, LakeCompression.Zstd));
        Report("encode one file, no codec", bytes, () => EncodeOnly(path, LakeCompression.None));
        Report("ingest (encode, publish)", bytes, () => Ingest(path));
        Report("ingest, no series checks", bytes, () => Ingest(path, seriesChecks: false));
        return 0;
    }

    /// <summary>Managed bytes allocated per row by a warm in-process ingest (the second of two) of each file.</summary>
    public static int Allocations(string[] paths)
    {
        foreach (var path in paths)
        {
            var root = Path.Combine(Path.GetTempPath(), "metrify-alloc-lake");
            using (var warm = new Ingestor(new LakeOptions { Root = root, Durable = false }, new IngestOptions())) warm.IngestFile(path);
            // Three measured ingests, each on a fresh ingestor (one that has published a file skips it): their spread
            // shows how steady the figure is, and a fall from the first to the last what is still warming up.
            for (int round = 1; round <= 3; round++)
            {
                Directory.Delete(root, true);
                using var ingestor = new Ingestor(new LakeOptions { Root = root, Durable = false }, new IngestOptions());
                using var sampler = new AllocationSampler();
                sampler.Start();
                long before = GC.GetTotalAllocatedBytes(true);
                var result = ingestor.IngestFile(path);
                long allocated = GC.GetTotalAllocatedBytes(true) - before;
                if (round == 3)
                    foreach (var (type, bytes) in sampler.BytesByType.OrderByDescending(kv => kv.Value).Take(12))
                        Console.WriteLine($"    {bytes,12:N0} B  {type}");
                Console.WriteLine($"{Path.GetFileName(path),-20} {result.Stats.Rows,12:N0} rows {result.Files.Count,6} files {allocated / (double)result.Stats.Rows,8:F3} B/row {allocated / (double)result.Files.Count,10:N0} B/file  (round {round})");
            }
            Directory.Delete(root, true);
            Steady(path, root);
        }
        return 0;
    }

    /// <summary>
    /// Steady state, as a daemon or a daily drop sees it: the input cut into five parts in time order, all ingested
    /// by one ingestor; the first warms it up (pools, encoders, every meter's check state), the other four are
    /// measured. What remains is what each new reading and each new file costs.
    /// </summary>
    private static void Steady(string path, string root)
    {
        var parts = Path.Combine(Path.GetTempPath(), "metrify-alloc-parts");
        if (Directory.Exists(parts)) Directory.Delete(parts, true);
        Directory.CreateDirectory(parts);
        bool csv = path.EndsWith(".csv", StringComparison.Ordinal);
        string? header = csv ? File.ReadLines(path).First() : null;
        long per = (File.ReadLines(path).LongCount() - (csv ? 1 : 0) + 4) / 5;
        var files = Enumerable.Range(0, 5).Select(p => Path.Combine(parts, $"part-{p}{Path.GetExtension(path)}")).ToList();
        using (var lines = File.ReadLines(path).Skip(csv ? 1 : 0).GetEnumerator())
            foreach (var part in files)
            {
                using var writer = new StreamWriter(part);
                if (header is not null) writer.WriteLine(header);
                for (long n = 0; n < per && lines.MoveNext(); n++) writer.WriteLine(lines.Current);
            }
        using var ingestor = new Ingestor(new LakeOptions { Root = root, Durable = false }, new IngestOptions());
        ingestor.IngestFile(files[0]);
        using var sampler = new AllocationSampler();
        sampler.Start();
        long before = GC.GetTotalAllocatedBytes(true), rows = 0, written = 0;
        foreach (var part in files.Skip(1))
        {
            var result = ingestor.IngestFile(part);
            rows += result.Stats.Rows;
            written += result.Files.Count;
        }
        long allocated = GC.GetTotalAllocatedBytes(true) - before;
        foreach (var (type, bytes) in sampler.BytesByType.OrderByDescending(kv => kv.Value).Take(12))
            Console.WriteLine($"    {bytes,12:N0} B  {type}");
        Console.WriteLine($"{Path.GetFileName(path),-20} {rows,12:N0} rows {written,6} files {allocated / (double)rows,8:F3} B/row {allocated / (double)written,10:N0} B/file  (steady: four parts after a first on one ingestor)");
        Directory.Delete(root, true);
        Directory.Delete(parts, true);
    }

    private static void Report(string stage, long bytes, Func<long> run)
    {
        run();
        long before = GC.GetTotalAllocatedBytes(true);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        long rows = run();
        double s = clock.Elapsed.TotalSeconds;
        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(true) - before;
        Console.WriteLine($"{stage,-28} {s,7:F3} s {rows / s / 1e6,8:F2} M rows/s {bytes / s / 1e6,8:F1} MB/s {allocated / (double)Math.Max(rows, 1),8:F3} B/row  CPU {cpuSeconds,6:F2} s");
    }

    private static long ReadOnly(string path)
    {
        var buffer = new byte[4 << 20];
        using var f = File.OpenRead(path);
        long lines = 0;
        int n;
        while ((n = f.Read(buffer)) > 0) lines += buffer.AsSpan(0, n).Count((byte)'\n');
        return lines;
    }

    private sealed class CountingSink(ColumnBatchPool pool, PartitionedWriter? writer) : IBatchSink
    {
        public long Rows;
        public void Accept(ColumnBatch batch)
        {
            Rows += batch.Count;
            if (writer is not null) writer.Accept(batch); else pool.Return(batch);
        }
    }

    /// <summary>The quality checks as the ingest runs them: the stateless ones, then the series checks (a fresh
    /// state each run, so every run sees every meter for the first time and then its history), with the aggregate
    /// rows computed and, given an output, written to Parquet.</summary>
    private sealed class CheckingOnly(ColumnBatchPool pool, TableSpec table, Metrify.Engine.Quality.AggregateOutput? output) : IBatchSink
    {
        private readonly Metrify.Engine.Quality.BatchChecks _checks = new(table, new(), Ingestor.NowMicros());
        private readonly Metrify.Engine.Quality.SeriesChecks? _series = Metrify.Engine.Quality.SeriesChecks.For(table, new());
        public void Accept(ColumnBatch batch)
        {
            _checks.Apply(batch);
            _series?.Apply(batch, null, output);
            pool.Return(batch);
        }
    }

    private static long Decode(string path, bool partition, bool checks = false, bool writeAggregates = false)
    {
        // The aggregate rows go to a lake of their own, under temporary names (nothing is published).
        var lake = Path.Combine(Path.GetTempPath(), "metrify-stage-aggregates");
        var pools = new Dictionary<TableSpec, ColumnBatchPool>();
        ColumnBatchPool PoolOf(TableSpec t) { lock (pools) return pools.TryGetValue(t, out var p) ? p : pools[t] = new ColumnBatchPool(t, 65_536, 48); }
        var output = writeAggregates
            ? new Metrify.Engine.Quality.AggregateOutput(t => new PartitionedWriter(t, PoolOf(t), new LakeOptions { Root = lake, Durable = false }, "stage", 1), PoolOf)
            : null;
        var head = new byte[64 << 10];
        int h;
        using (var f = File.OpenRead(path)) h = f.Read(head);
        var detected = InputDetector.Detect(path, head.AsSpan(0, h), null);
        using var pool = new ColumnBatchPool(detected.Table!, 65_536, 48);
        using var qpool = new ColumnBatchPool(Tables.Quarantine, 4096, 4);
        var sink = new CountingSink(pool, null);
        IBatchSink target = partition ? new PartitionOnly(pool) : checks ? new CheckingOnly(pool, detected.Table!, output) : sink;
        var quarantine = new QuarantineCollector(path, qpool, new Frames.RecycleSink(qpool));
        var decoder = new CsvDecoder(detected.Layout!, pool, target, quarantine);
        var buffer = new byte[4 << 20];
        using var file = File.OpenRead(path);
        file.Position = detected.HeaderBytes;
        long offset = detected.HeaderBytes;
        int filled = 0;
        while (true)
        {
            int n = file.Read(buffer, filled, buffer.Length - filled);
            filled += n;
            bool final = n == 0;
            int used = decoder.Decode(buffer.AsSpan(0, filled), offset, final);
            offset += used;
            buffer.AsSpan(used, filled - used).CopyTo(buffer);
            filled -= used;
            if (final) break;
        }
        decoder.Complete();
        if (output is not null)
        {
            output.Complete(); // every aggregate file encoded and closed
            output.Dispose();
            foreach (var p in pools.Values) p.Dispose();
            Directory.Delete(lake, true);
        }
        return decoder.Stats.Rows;
    }

    private static long DecodeJson(byte[] data)
    {
        using var pool = new ColumnBatchPool(Tables.Readings, 65_536, 48);
        using var qpool = new ColumnBatchPool(Tables.Quarantine, 4096, 4);
        var decoder = new Metrify.Engine.Frames.Json.JsonLinesDecoder(Tables.Readings, pool, new Frames.RecycleSink(pool),
            new QuarantineCollector("bench.jsonl", qpool, new Frames.RecycleSink(qpool)));
        return BenchData.Feed(decoder, data);
    }

    /// <summary>Decodes the file into memory first, then times only the Parquet encoding of all its rows into one file.</summary>
    private static long EncodeOnly(string path, LakeCompression compression)
    {
        using var input = new DecodedInput(path);
        var file = Path.Combine(Path.GetTempPath(), "metrify-encode-only.parquet");
        File.Delete(file);
        var clock = Stopwatch.StartNew();
        using (var encoder = ParquetEncoders.Open(file, input.Table, new LakeOptions { Compression = compression }, new Dictionary<string, string>()))
        {
            foreach (var b in input.Batches) encoder.Write(b.ToRecordBatch());
            encoder.Close();
        }
        Console.WriteLine($"   (encode alone {clock.Elapsed.TotalSeconds:F3} s, {new FileInfo(file).Length / 1e6:F1} MB)");
        return input.Rows;
    }

    /// <summary>Partitioning without encoding: the hour of every row, as the partitioner computes it.</summary>
    private sealed class PartitionOnly(ColumnBatchPool pool) : IBatchSink
    {
        private readonly long[] _hours = new long[65_536];
        public void Accept(ColumnBatch batch)
        {
            var ts = batch.Int64Values(batch.Table.PartitionColumnIndex);
            for (int i = 0; i < ts.Length; i++) _hours[i] = LakePaths.HourOf(ts[i]);
            pool.Return(batch);
        }
    }

    private static long Ingest(string path, bool seriesChecks = true)
    {
        var root = Path.Combine(Path.GetTempPath(), "metrify-stage-lake");
        if (Directory.Exists(root)) Directory.Delete(root, true);
        using var ingestor = new Ingestor(new LakeOptions { Root = root, Durable = false }, new IngestOptions(), quality: new() { SeriesChecks = seriesChecks });
        var result = ingestor.IngestFile(path);
        return result.Stats.Rows;
    }
}
