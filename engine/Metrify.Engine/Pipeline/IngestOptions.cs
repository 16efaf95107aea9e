namespace Metrify.Engine.Pipeline;

/// <summary>How sources are read and decoded. Defaults in one place; README.md's configuration table lists every key.</summary>
public sealed record IngestOptions
{
    /// <summary>Rows per decoded batch (the unit handed from the decoder to the encoders).</summary>
    public int BatchRows { get; set; } = 65_536;
    /// <summary>Native memory the batches of one table may hold; when it is used up the decoder waits for the encoders.</summary>
    public long MemoryBudgetBytes { get; set; } = 512L << 20;
    /// <summary>Parquet encoding threads per table.</summary>
    public int EncoderThreads { get; set; } = Math.Max(1, Environment.ProcessorCount);
    /// <summary>Segments of one input decoded at once (each on its own thread).</summary>
    public int DecodeThreads { get; set; } = Math.Max(1, Environment.ProcessorCount);
    /// <summary>Inputs are split into segments of about this size, at line breaks, to decode them in parallel. The
    /// layout, and so the output files, depend on this setting and the input only.</summary>
    public long SegmentBytes { get; set; } = 64L << 20;
    /// <summary>Size of the read buffer that input is streamed through.</summary>
    public int ReadBufferBytes { get; set; } = 4 << 20;
    /// <summary>A record longer than this is quarantined as oversized, so garbage cannot grow memory.</summary>
    public int MaxRecordBytes { get; set; } = 1 << 20;
    /// <summary>Most Parquet files kept open at once per table; older ones are closed first.</summary>
    public int MaxOpenFiles { get; set; } = 64;

    public IEnumerable<string> Validate()
    {
        if (BatchRows < 1024) yield return $"Ingest:BatchRows must be at least 1024 (is {BatchRows}).";
        if (DecodeThreads < 1) yield return $"Ingest:DecodeThreads must be at least 1 (is {DecodeThreads}).";
        if (SegmentBytes < 1L << 20) yield return $"Ingest:SegmentBytes must be at least 1048576 (is {SegmentBytes}).";
        if (EncoderThreads < 1) yield return $"Ingest:EncoderThreads must be at least 1 (is {EncoderThreads}).";
        if (MaxRecordBytes < 1024) yield return $"Ingest:MaxRecordBytes must be at least 1024 (is {MaxRecordBytes}).";
        if (ReadBufferBytes < 2L * MaxRecordBytes) yield return $"Ingest:ReadBufferBytes must be at least twice Ingest:MaxRecordBytes (is {ReadBufferBytes}).";
        if (MaxOpenFiles < 1) yield return $"Ingest:MaxOpenFiles must be at least 1 (is {MaxOpenFiles}).";
        if (MemoryBudgetBytes < 16L << 20) yield return $"Ingest:MemoryBudgetBytes must be at least 16 MiB (is {MemoryBudgetBytes}).";
    }
}
