using System.Globalization;
using BenchmarkDotNet.Attributes;
using Metrify.Engine.Columnar;
using Metrify.Engine.Frames;
using Metrify.Engine.Frames.Csv;
using Metrify.Engine.Pipeline;
using nietras.SeparatedValues;

namespace Metrify.Bench.Frames;

/// <summary>
/// CSV readings to columnar batches: Metrify's UTF-8 decoder against Sep (UTF-16 reader, typed parsing through the
/// BCL) doing the same work: every field parsed to its type. Per reading; allocations in steady state.
/// </summary>
[MemoryDiagnoser]
public class CsvDecoderBench
{
    private byte[] _csv = [];
    private string _text = "";
    private DetectedInput _detected = null!;
    private ColumnBatchPool _pool = null!;
    private ColumnBatchPool _quarantinePool = null!;
    private RecycleSink _sink = null!;

    [GlobalSetup]
    public void Setup()
    {
        _csv = BenchData.ReadingsCsv;
        _text = System.Text.Encoding.UTF8.GetString(_csv);
        _detected = InputDetector.Detect("readings.csv", _csv, null);
        _pool = new ColumnBatchPool(Tables.Readings, 65_536, 8);
        _quarantinePool = new ColumnBatchPool(Tables.Quarantine, 1024, 4);
        _sink = new RecycleSink(_pool);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pool.Dispose();
        _quarantinePool.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = BenchData.Readings)]
    public long Metrify()
    {
        var quarantine = new QuarantineCollector("bench.csv", _quarantinePool, new RecycleSink(_quarantinePool));
        var decoder = new CsvDecoder(_detected.Layout!, _pool, _sink, quarantine);
        return BenchData.Feed(decoder, _csv.AsSpan(_detected.HeaderBytes), _detected.HeaderBytes);
    }

    [Benchmark(OperationsPerInvoke = BenchData.Readings)]
    public double Sep()
    {
        double sum = 0;
        using var reader = nietras.SeparatedValues.Sep.Reader().FromText(_text);
        foreach (var row in reader)
        {
            sum += row[0].Span.Length;
            sum += DateTimeOffset.Parse(row[1].Span, CultureInfo.InvariantCulture).UtcTicks;
            for (int c = 2; c < 8; c++)
                if (row[c].Span.Length > 0) sum += double.Parse(row[c].Span, CultureInfo.InvariantCulture);
        }
        return sum;
    }
}

/// <summary>Hands every batch straight back to its pool: measures decoding alone.</summary>
public sealed class RecycleSink(ColumnBatchPool pool) : IBatchSink
{
    public void Accept(ColumnBatch batch) => pool.Return(batch);
}
