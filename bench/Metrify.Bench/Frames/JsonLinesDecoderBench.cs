using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Metrify.Engine.Columnar;
using Metrify.Engine.Frames;
using Metrify.Engine.Frames.Json;

namespace Metrify.Bench.Frames;

/// <summary>JSON lines readings to batches: the schema-aware scanner against a plain Utf8JsonReader pass.</summary>
[MemoryDiagnoser]
public class JsonLinesDecoderBench
{
    private byte[] _jsonl = [];
    private ColumnBatchPool _pool = null!;
    private ColumnBatchPool _quarantinePool = null!;

    [GlobalSetup]
    public void Setup()
    {
        _jsonl = BenchData.ReadingsJsonl;
        _pool = new ColumnBatchPool(Tables.Readings, 65_536, 8);
        _quarantinePool = new ColumnBatchPool(Tables.Quarantine, 1024, 4);
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
        var quarantine = new QuarantineCollector("bench.jsonl", _quarantinePool, new RecycleSink(_quarantinePool));
        var decoder = new JsonLinesDecoder(Tables.Readings, _pool, new RecycleSink(_pool), quarantine);
        return BenchData.Feed(decoder, _jsonl);
    }

    /// <summary>Tokenising alone with the BCL reader, numbers read as doubles: no columns, no timestamps.</summary>
    [Benchmark(OperationsPerInvoke = BenchData.Readings)]
    public double Utf8JsonReaderOnly()
    {
        double sum = 0;
        var reader = new Utf8JsonReader(_jsonl, new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
            if (reader.TokenType == JsonTokenType.Number) sum += reader.GetDouble();
        return sum;
    }
}
