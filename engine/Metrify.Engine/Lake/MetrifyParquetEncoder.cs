using System.Collections.Concurrent;
using Apache.Arrow;
using Metrify.Engine.Columnar;
using Metrify.Engine.Lake.Internals;

namespace Metrify.Engine.Lake;

/// <summary>
/// Metrify's own Parquet writer, for the lake's flat tables only: it knows our few column kinds, so a row group is
/// buffered as plain column bytes and encoded in one pass per column (dictionary or PLAIN, RLE levels, zstd through
/// a reused context), without the general machinery a library needs for nested types. Written because the lake's
/// hourly partitions make many small files, where per-file and per-column-chunk setup dominated Arrow C++'s writer
/// (docs/benchmarks.md). Tests read every file back with DuckDB and with Arrow C++ (ParquetSharp's reader).
/// </summary>
public sealed class MetrifyParquetEncoder : IParquetEncoder
{
    private static readonly byte[] Magic = "PAR1"u8.ToArray();
    private readonly FileStream _stream;
    private readonly TableSpec _table;
    private readonly LakeOptions _options;
    private readonly IReadOnlyDictionary<string, string> _metadata;
    private readonly ColumnChunkBuffer[] _columns;
    private readonly ChunkEncoders _encoders;
    private readonly List<(long Rows, long Offset, long Compressed, long Uncompressed, ColumnChunkMeta[] Columns)> _rowGroups = new();
    private bool _closed, _disposed;

    public MetrifyParquetEncoder(string path, TableSpec table, LakeOptions options, IReadOnlyDictionary<string, string> metadata)
    {
        _table = table;
        _options = options;
        _metadata = metadata;
        _encoders = ChunkEncoders.Rent(options.Compression, options.CompressionLevel);
        _columns = ColumnBuffers.Rent(table);
        // Unbuffered: pages are assembled in memory and written whole, and a FileStream buffer per file would be
        // an allocation per file (240 files an input, one per hour).
        _stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
        _stream.Write(Magic);
    }

    public long BytesWritten => _stream.Position;

    private int PendingRows => _columns[0].Rows;

    /// <summary>A row group is also closed when its strings pass this size: offsets are 32-bit, pages must stay small.</summary>
    private const long MaxRowGroupVarLenBytes = 256L << 20;

    private long PendingVarLenBytes
    {
        get
        {
            long total = 0;
            foreach (var c in _columns) if (c.VarLen) total += c.DataBytes;
            return total;
        }
    }

    public void Write(RecordBatch batch)
    {
        int offset = 0;
        while (offset < batch.Length)
        {
            int take = Math.Min(batch.Length - offset, _options.RowGroupRows - PendingRows);
            for (int c = 0; c < _columns.Length; c++) _columns[c].Append(batch.Column(c), offset, take);
            offset += take;
            if (PendingRows == _options.RowGroupRows || PendingVarLenBytes >= MaxRowGroupVarLenBytes) FlushRowGroup();
        }
    }

    private void FlushRowGroup()
    {
        if (PendingRows == 0) return;
        long start = _stream.Position, uncompressed = 0;
        var metas = MetaArrays.Rent(_columns.Length);
        for (int c = 0; c < _columns.Length; c++)
        {
            metas[c] = _encoders.Writer.Write(_columns[c], _stream);
            uncompressed += metas[c].UncompressedBytes;
        }
        _rowGroups.Add((PendingRows, start, _stream.Position - start, uncompressed, metas));
        foreach (var column in _columns) column.Reset();
    }

    public void Close()
    {
        if (_closed) return;
        _closed = true;
        FlushRowGroup();
        using var footer = new ByteSink(4096);
        ParquetFooter.Write(new ThriftCompactWriter(footer), _table, _rowGroups, _encoders.Compressor.Codec, _table.ArrowSchema.Metadata, _metadata);
        _stream.Write(footer.Written);
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, footer.Length);
        _stream.Write(length);
        _stream.Write(Magic);
        _stream.Flush();
    }

    public void Dispose()
    {
        if (_disposed) return; // the buffers go back to the pools once, or two files would share them
        _disposed = true;
        _stream.Dispose();
        ChunkEncoders.Return(_encoders);
        ColumnBuffers.Return(_table, _columns);
        foreach (var group in _rowGroups) MetaArrays.Return(group.Columns);
        _rowGroups.Clear();
    }

    /// <summary>Each row group's column chunk descriptions, kept for the next file (a file per hour per table).</summary>
    private static class MetaArrays
    {
        private static readonly ConcurrentDictionary<int, FreeList<ColumnChunkMeta[]>> Free = new();

        public static ColumnChunkMeta[] Rent(int columns) =>
            Free.GetOrAdd(columns, _ => new(256)).TryTake(out var metas) ? metas : new ColumnChunkMeta[columns];

        public static void Return(ColumnChunkMeta[] metas)
        {
            System.Array.Clear(metas); // string statistics are byte arrays: not kept alive by a free array
            Free.GetOrAdd(metas.Length, _ => new(256)).Return(metas);
        }
    }

    /// <summary>
    /// Row-group buffers per table, kept for the next file: a lake input opens a file per hour, and fresh
    /// buffers per file would allocate (and first-touch) megabytes each time.
    /// </summary>
    private static class ColumnBuffers
    {
        private static readonly ConcurrentDictionary<TableSpec, FreeList<ColumnChunkBuffer[]>> Free = new();

        private static FreeList<ColumnChunkBuffer[]> For(TableSpec table) => Free.GetOrAdd(table, _ => new(64, Release));

        public static ColumnChunkBuffer[] Rent(TableSpec table) =>
            For(table).TryTake(out var columns) ? columns : table.Columns.Select(c => new ColumnChunkBuffer(c)).ToArray();

        public static void Return(TableSpec table, ColumnChunkBuffer[] columns)
        {
            foreach (var c in columns) c.Reset();
            if (!For(table).Return(columns)) Release(columns);
        }

        private static void Release(ColumnChunkBuffer[] columns)
        {
            foreach (var c in columns) c.Dispose();
        }
    }

    /// <summary>A page writer and its zstd context, reused across files.</summary>
    private sealed class ChunkEncoders(PageCompressor compressor)
    {
        // As many as an ingest has files open at once, or their grown index arrays are made again.
        private static readonly FreeList<ChunkEncoders> Free = new(64, Release);

        public PageCompressor Compressor { get; } = compressor;
        public ColumnChunkWriter Writer { get; } = new(compressor);

        public static ChunkEncoders Rent(LakeCompression compression, int level)
        {
            List<ChunkEncoders>? kept = null; // other settings than these: rare, so no list per file
            ChunkEncoders? found = null;
            while (found is null && Free.TryTake(out var e))
            {
                if (e.Compressor.Compression == compression && e.Compressor.Level == level) found = e;
                else (kept ??= []).Add(e);
            }
            foreach (var e in kept ?? []) Return(e);
            return found ?? new ChunkEncoders(new PageCompressor(compression, level));
        }

        public static void Return(ChunkEncoders encoders)
        {
            if (!Free.Return(encoders)) Release(encoders);
        }

        private static void Release(ChunkEncoders encoders)
        {
            encoders.Writer.Dispose();
            encoders.Compressor.Dispose();
        }
    }
}
