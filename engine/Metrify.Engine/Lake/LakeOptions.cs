namespace Metrify.Engine.Lake;

public enum ParquetEncoderKind
{
    /// <summary>Metrify's own writer for the lake's flat tables: the default, the fastest (docs/benchmarks.md); zstd or none.</summary>
    Metrify,
    /// <summary>Apache Arrow C++'s Parquet writer through ParquetSharp.</summary>
    ParquetSharp,
    /// <summary>The fully managed Parquet.Net writer.</summary>
    ParquetNet,
}

public enum LakeCompression
{
    Zstd,
    Snappy,
    Lz4,
    Gzip,
    None,
}

/// <summary>How tables are written to the lake. Defaults suit a local lake; docs/configuration.md lists every key.</summary>
public sealed record LakeOptions
{
    /// <summary>Root folder of the lake; tables are folders below it.</summary>
    public string Root { get; set; } = "lake";
    public ParquetEncoderKind Encoder { get; set; } = ParquetEncoderKind.Metrify;
    public LakeCompression Compression { get; set; } = LakeCompression.Zstd;
    /// <summary>Codec level; zstd 3 is fast and compact (Parquet.Net's own default, 19, is ~100x slower).</summary>
    public int CompressionLevel { get; set; } = 3;
    /// <summary>Rows per Parquet row group (the last group of a file may be smaller).</summary>
    public int RowGroupRows { get; set; } = 262_144;
    /// <summary>A partition's file is closed and a new one started once it reaches this size.</summary>
    public long TargetFileBytes { get; set; } = 128L << 20;
    /// <summary>Flush files to stable storage before publishing them (fsync).</summary>
    public bool Durable { get; set; } = true;

    /// <summary>Problems with these settings, each naming the key to fix; empty when valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Root)) yield return "Lake:Root must name a folder.";
        if (RowGroupRows < 1) yield return $"Lake:RowGroupRows must be at least 1 (is {RowGroupRows}).";
        if (TargetFileBytes < 1 << 16) yield return $"Lake:TargetFileBytes must be at least 65536 (is {TargetFileBytes}).";
        if (Encoder == ParquetEncoderKind.Metrify && Compression is not (LakeCompression.Zstd or LakeCompression.None))
            yield return $"Lake:Compression {Compression} needs Lake:Encoder ParquetSharp or ParquetNet (the Metrify encoder writes Zstd or None).";
        int maxLevel = Compression switch { LakeCompression.Zstd => 22, LakeCompression.Gzip => 9, _ => int.MaxValue };
        if (CompressionLevel < 1 || CompressionLevel > maxLevel) yield return $"Lake:CompressionLevel {CompressionLevel} is out of range for {Compression} (1..{maxLevel}).";
    }
}
