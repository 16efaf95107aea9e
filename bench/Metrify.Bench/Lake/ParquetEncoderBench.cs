using BenchmarkDotNet.Attributes;
using Metrify.Bench.Frames;
using Metrify.Engine.Columnar;
using Metrify.Engine.Frames;
using Metrify.Engine.Frames.Csv;
using Metrify.Engine.Lake;
using Metrify.Engine.Pipeline;

namespace Metrify.Bench.Lake;

/// <summary>
/// Batches to zstd Parquet through the encoder seam, one file per hour as the lake writes them (24 files of 8,400
/// readings here), per encoder. Per reading.
/// </summary>
[MemoryDiagnoser]
public class ParquetEncoderBench
{
    private readonly List<ColumnBatch> _hours = new();
    private ColumnBatchPool _pool = null!;
    private string _dir = "";

    [Params(ParquetEncoderKind.Metrify, ParquetEncoderKind.ParquetSharp, ParquetEncoderKind.ParquetNet)]
    public ParquetEncoderKind Encoder { get; set; }

    private sealed class Keep(List<ColumnBatch> list) : IBatchSink
    {
        public void Accept(ColumnBatch batch) => list.Add(batch);
    }

    [GlobalSetup]
    public void Setup()
    {
        var csv = BenchData.ReadingsCsv;
        var detected = InputDetector.Detect("readings.csv", csv, null);
        _pool = new ColumnBatchPool(Tables.Readings, 65_536, 64);
        using var qpool = new ColumnBatchPool(Tables.Quarantine, 1024, 4);
        var decoder = new CsvDecoder(detected.Layout!, _pool, new Keep(_hours), new QuarantineCollector("b", qpool, new RecycleSink(qpool)));
        decoder.Decode(csv.AsSpan(detected.HeaderBytes), detected.HeaderBytes, true);
        decoder.Complete(); // batches are cut at hour boundaries: one per hour
        _dir = Directory.CreateTempSubdirectory("metrify-encode-bench").FullName;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var b in _hours) _pool.Return(b);
        _pool.Dispose();
        Directory.Delete(_dir, true);
    }

    [Benchmark(OperationsPerInvoke = BenchData.Readings)]
    public long Encode()
    {
        long bytes = 0;
        var options = new LakeOptions { Encoder = Encoder };
        for (int h = 0; h < _hours.Count; h++)
        {
            var path = Path.Combine(_dir, $"{h}.parquet");
            File.Delete(path);
            using var encoder = ParquetEncoders.Open(path, Tables.Readings, options, new Dictionary<string, string>());
            using (var view = _hours[h].ToRecordBatch()) encoder.Write(view);
            encoder.Close();
            bytes += encoder.BytesWritten;
        }
        return bytes;
    }
}
