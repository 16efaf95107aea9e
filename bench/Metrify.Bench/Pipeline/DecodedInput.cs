using Metrify.Engine.Columnar;
using Metrify.Engine.Frames;
using Metrify.Engine.Frames.Csv;
using Metrify.Engine.Pipeline;

namespace Metrify.Bench.Pipeline;

/// <summary>A whole CSV file decoded into memory (one batch per hour), for benchmarks that time encoding alone.</summary>
public sealed class DecodedInput : IDisposable, IBatchSink
{
    private readonly ColumnBatchPool _pool;

    public DecodedInput(string path, int maxBatches = 400)
    {
        var data = File.ReadAllBytes(path);
        var detected = InputDetector.Detect(path, data.AsSpan(0, Math.Min(data.Length, 64 << 10)), null);
        Table = detected.Table!;
        _pool = new ColumnBatchPool(Table, 65_536, maxBatches); // batches are cut per hour: ~250 for 5 M readings
        using var quarantinePool = new ColumnBatchPool(Tables.Quarantine, 4096, 4);
        var decoder = new CsvDecoder(detected.Layout!, _pool, this, new QuarantineCollector(path, quarantinePool, new Frames.RecycleSink(quarantinePool)));
        decoder.Decode(data.AsSpan(detected.HeaderBytes), detected.HeaderBytes, true);
        decoder.Complete();
    }

    public TableSpec Table { get; }
    public List<ColumnBatch> Batches { get; } = new();
    public long Rows => Batches.Sum(b => (long)b.Count);

    void IBatchSink.Accept(ColumnBatch batch) => Batches.Add(batch);

    public void Dispose()
    {
        foreach (var b in Batches) _pool.Return(b);
        _pool.Dispose();
    }
}
