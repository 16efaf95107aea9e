using Apache.Arrow;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Lake;

/// <summary>
/// The one seam between the engine and a Parquet library: Arrow batches in, row groups of
/// <see cref="LakeOptions.RowGroupRows"/> rows out, into one file. Implementations: <see cref="MetrifyParquetEncoder"/> (default),
/// <see cref="ParquetSharpEncoder"/> and <see cref="ParquetNetEncoder"/>; <see cref="ParquetEncoders.Open"/> picks one from the options.
/// </summary>
public interface IParquetEncoder : IDisposable
{
    /// <summary>Appends the batch's rows. The batch's buffers may be reused once this returns.</summary>
    void Write(RecordBatch batch);

    /// <summary>Bytes in the file so far (row groups already flushed).</summary>
    long BytesWritten { get; }

    /// <summary>Writes the last row group and the footer.</summary>
    void Close();
}

public static class ParquetEncoders
{
    public static IParquetEncoder Open(string path, TableSpec table, LakeOptions options, IReadOnlyDictionary<string, string> metadata) =>
        options.Encoder switch
        {
            ParquetEncoderKind.Metrify => new MetrifyParquetEncoder(path, table, options, metadata),
            ParquetEncoderKind.ParquetSharp => new ParquetSharpEncoder(path, table, options, metadata),
            ParquetEncoderKind.ParquetNet => new ParquetNetEncoder(path, table, options, metadata),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Encoder, "Unknown encoder."),
        };
}
