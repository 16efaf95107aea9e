using Metrify.Engine.Simulation;

namespace Metrify.Bench;

/// <summary>Simulated input for the micro-benchmarks, made once per process (deterministic seed, no faults).</summary>
public static class BenchData
{
    private static readonly Lazy<string> Folder = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), "metrify-bench-data");
        if (!File.Exists(Path.Combine(dir, "readings.jsonl")))
            new FleetSimulator(new SimulationOptions { Meters = 2100, Days = 1, OutputDirectory = dir, Faults = FaultRates.None }).Run();
        return dir;
    });

    /// <summary>201,600 readings (2,100 meters, one day of 15-minute intervals).</summary>
    public static byte[] ReadingsCsv => File.ReadAllBytes(Path.Combine(Folder.Value, "readings.csv"));
    public static byte[] ReadingsJsonl => File.ReadAllBytes(Path.Combine(Folder.Value, "readings.jsonl"));
    public const int Readings = 2100 * 96;

    /// <summary>Feeds an in-memory input to a decoder in 4 MiB chunks, as the ingest loop does, and completes it.</summary>
    public static long Feed(Metrify.Engine.Frames.RecordDecoder decoder, ReadOnlySpan<byte> data, long offset = 0)
    {
        for (int at = 0; at < data.Length;)
        {
            int chunk = Math.Min(4 << 20, data.Length - at);
            at += decoder.Decode(data.Slice(at, chunk), offset + at, at + chunk == data.Length);
        }
        decoder.Complete();
        return decoder.Stats.Rows;
    }
}
