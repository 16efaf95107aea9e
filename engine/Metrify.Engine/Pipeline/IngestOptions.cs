namespace Metrify.Engine.Pipeline;

/// <summary>How sources are read and decoded. Defaults in one place; docs/configuration.md lists every key.</summary>
public sealed record IngestOptions
{
    /// <summary>Rows per decoded batch (the unit handed from the decoder to the encoders).</summary>
    public int BatchRows { get; init; } = 65_536;
    /// <summary>Native memory the batches of one table may hold; when it is used up the decoder waits for the encoders.</summary>
    public long MemoryBudgetBytes { get; init; } = 512L << 20;
    /// <summary>Parquet encoding threads per table (the decoder runs on the calling thread).</summary>
    public int EncoderThreads { get; init; } = Math.Max(1, Environment.ProcessorCount);
    /// <summary>Size of the read buffer that input is streamed through.</summary>
    public int ReadBufferBytes { get; init; } = 4 << 20;
    /// <summary>A record longer than this is quarantined as oversized, so garbage cannot grow memory.</summary>
    public int MaxRecordBytes { get; init; } = 1 << 20;
    /// <summary>Most Parquet files kept open at once per table; older ones are closed first.</summary>
    public int MaxOpenFiles { get; init; } = 64;

    public IEnumerable<string> Validate()
    {
        if (BatchRows < 1024) yield return $"Ingest:BatchRows must be at least 1024 (is {BatchRows}).";
        if (EncoderThreads < 1) yield return $"Ingest:EncoderThreads must be at least 1 (is {EncoderThreads}).";
        if (MaxRecordBytes < 1024) yield return $"Ingest:MaxRecordBytes must be at least 1024 (is {MaxRecordBytes}).";
        if (ReadBufferBytes < 2L * MaxRecordBytes) yield return $"Ingest:ReadBufferBytes must be at least twice Ingest:MaxRecordBytes (is {ReadBufferBytes}).";
        if (MaxOpenFiles < 1) yield return $"Ingest:MaxOpenFiles must be at least 1 (is {MaxOpenFiles}).";
        if (MemoryBudgetBytes < 16L << 20) yield return $"Ingest:MemoryBudgetBytes must be at least 16 MiB (is {MemoryBudgetBytes}).";
    }
}
