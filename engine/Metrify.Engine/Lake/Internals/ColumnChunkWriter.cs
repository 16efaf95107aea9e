using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Lake.Internals;

/// <summary>
/// What the footer needs to know about one written column chunk. A struct with fixed-width statistics inline: a file
/// per hour means thousands of chunks per input, and an object (plus two arrays) each was most of what ingest allocated.
/// </summary>
internal readonly record struct ColumnChunkMeta(
    ColumnSpec Spec, bool Dictionary, long NumValues, long UncompressedBytes, long CompressedBytes,
    long DataPageOffset, long DictionaryPageOffset, long NullCount, bool HasStatistics, ulong MinBits, ulong MaxBits,
    byte[]? MinBytes, byte[]? MaxBytes)
{
    /// <summary>PLAIN-encoded statistic: the value's little-endian bytes, or the string's bytes.</summary>
    public ReadOnlySpan<byte> Statistic(bool max, Span<byte> scratch)
    {
        if (Spec.Kind is ColumnKind.Utf8 or ColumnKind.Binary) return max ? MaxBytes : MinBytes;
        int width = ColumnBatch.WidthOf(Spec.Kind);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(scratch, max ? MaxBits : MinBits);
        return scratch[..width];
    }
}

/// <summary>
/// Encodes one column chunk: a dictionary page plus RLE_DICTIONARY data pages when the column has few distinct values
/// (the usual case for meter data), PLAIN data pages otherwise; definition levels for nullable columns; statistics
/// (null count, min, max) for every column but raw binary.
/// </summary>
internal sealed class ColumnChunkWriter : IDisposable
{
    private const int PageRows = 1 << 17;
    private readonly ByteSink _body = new(1 << 16);
    private readonly ByteSink _compressed = new(1 << 16);
    private readonly ByteSink _header = new(256);
    private readonly ThriftCompactWriter _thrift;
    private readonly PageCompressor _compressor;
    // Scratch for one chunk, rented as it is written and returned after it, from the pool of arrays by size
    // (the shared array pool let go of these: 2 MB arrays re-made in a steady ingest).
    private int[] _indices = [];
    private int[] _levels = [];
    private int[] _slots = [];
    private int[] _entries = []; // dictionary entry -> first row holding it
    private int[] _successors = []; // string entry -> the entry that followed it last

    public ColumnChunkWriter(PageCompressor compressor)
    {
        _compressor = compressor;
        _thrift = new ThriftCompactWriter(_header);
    }

    public ColumnChunkMeta Write(ColumnChunkBuffer column, Stream output)
    {
        try
        {
            return WriteChunk(column, output);
        }
        finally
        {
            ReturnScratch();
        }
    }

    /// <summary>
    /// The index arrays grow with the chunk (2 MB each for a day of quarter hours of 5,000 meters) and are only
    /// needed while it is written, so they go back to the pool after each chunk: the encoders kept for open files do
    /// not each hold a set, and opening more files at once than ever before allocates nothing new.
    /// </summary>
    private void ReturnScratch()
    {
        Return(ref _indices);
        Return(ref _levels);
        Return(ref _slots);
        Return(ref _entries);
        Return(ref _successors);

        static void Return(ref int[] array)
        {
            if (array.Length == 0) return;
            ArraysBySize<int>.Return(array);
            array = [];
        }
    }

    private ColumnChunkMeta WriteChunk(ColumnChunkBuffer column, Stream output)
    {
        int valid = column.ValidCount;
        Ensure(ref _indices, valid);
        Ensure(ref _entries, valid + 1);
        int entries = BuildDictionary(column);
        bool dictionary = entries >= 0;
        long start = output.Position, dictionaryOffset = -1;
        long uncompressed = 0;
        if (dictionary)
        {
            dictionaryOffset = output.Position;
            _body.Clear();
            for (int e = 0; e < entries; e++) WritePlain(column, _entries[e]);
            uncompressed += WritePage(output, PageType.Dictionary, entries, Encoding.Plain);
        }
        long dataOffset = output.Position;
        int validSoFar = 0;
        for (int first = 0; first < column.Rows || first == 0; first += PageRows)
        {
            int rows = Math.Min(PageRows, column.Rows - first);
            _body.Clear();
            int validInPage = WriteLevels(column, first, rows);
            if (dictionary)
            {
                int width = Math.Max(1, RleHybrid.BitWidth(entries - 1));
                _body.WriteByte((byte)width);
                RleHybrid.Encode(_indices.AsSpan(validSoFar, validInPage), width, _body);
            }
            else if (!column.VarLen) WritePlainFixed(column, first, rows);
            else
            {
                for (int r = first; r < first + rows; r++)
                    if (column.Valid[r] != 0) WritePlain(column, r);
            }
            validSoFar += validInPage;
            uncompressed += WritePage(output, PageType.Data, rows, dictionary ? Encoding.RleDictionary : Encoding.Plain);
            if (column.Rows == 0) break;
        }
        var (minRow, maxRow) = Statistics(column, dictionary ? entries : -1);
        bool stats = minRow >= 0;
        return new ColumnChunkMeta(column.Spec, dictionary, column.Rows, uncompressed, output.Position - start,
            dataOffset, dictionaryOffset, column.Rows - valid, stats,
            stats && !column.VarLen ? Fixed(column, minRow) : 0, stats && !column.VarLen ? Fixed(column, maxRow) : 0,
            stats && column.VarLen ? Bytes(column, minRow).ToArray() : null, stats && column.VarLen ? Bytes(column, maxRow).ToArray() : null);
    }

    private enum PageType { Data = 0, Dictionary = 2 }

    private enum Encoding { Plain = 0, Rle = 3, RleDictionary = 8 }

    /// <summary>Definition levels (1 = value present) for a nullable column, with their 4-byte length prefix.</summary>
    private int WriteLevels(ColumnChunkBuffer column, int first, int rows)
    {
        var valid = column.Valid.AsSpan(first, rows);
        int count = rows - valid.Count((byte)0);
        if (!column.Spec.Nullable) return count;
        int lengthAt = _body.Length;
        _body.WriteInt32(0);
        if (count == rows || count == 0) RleHybrid.Run(rows, count == 0 ? 0 : 1, 1, _body);
        else
        {
            Ensure(ref _levels, rows);
            for (int i = 0; i < rows; i++) _levels[i] = valid[i];
            RleHybrid.Encode(_levels.AsSpan(0, rows), 1, _body);
        }
        _body.PatchInt32(lengthAt, _body.Length - lengthAt - 4);
        return count;
    }

    private void WritePlain(ColumnChunkBuffer column, int row)
    {
        if (column.VarLen)
        {
            int from = column.Offsets[row], len = column.Offsets[row + 1] - from;
            _body.WriteInt32(len);
            _body.Write(column.Values.AsSpan(from, len));
        }
        else _body.Write(column.Values.AsSpan(row * column.Width, column.Width));
    }

    /// <summary>The present values of a fixed-width column's rows, copied run by run of present rows (one copy
    /// for a column without nulls).</summary>
    private void WritePlainFixed(ColumnChunkBuffer column, int first, int rows)
    {
        var valid = column.Valid.AsSpan(first, rows);
        int width = column.Width;
        for (int r = 0; r < rows;)
        {
            int start = valid[r..].IndexOf((byte)1);
            if (start < 0) break;
            start += r;
            int end = valid[start..].IndexOf((byte)0);
            end = end < 0 ? rows : start + end;
            _body.Write(column.Values.AsSpan((first + start) * width, (end - start) * width));
            r = end;
        }
    }

    private long WritePage(Stream output, PageType type, int values, Encoding encoding)
    {
        var body = _compressor.Compress(_body.Written, _compressed);
        _header.Clear();
        _thrift.BeginStruct();
        _thrift.I32(1, (int)type);
        _thrift.I32(2, _body.Length);
        _thrift.I32(3, body.Length);
        if (type == PageType.Data)
        {
            _thrift.StructField(5);
            _thrift.I32(1, values);
            _thrift.I32(2, (int)encoding);
            _thrift.I32(3, (int)Encoding.Rle);
            _thrift.I32(4, (int)Encoding.Rle);
            _thrift.EndStruct();
        }
        else
        {
            _thrift.StructField(7);
            _thrift.I32(1, values);
            _thrift.I32(2, (int)encoding);
            _thrift.EndStruct();
        }
        _thrift.EndStruct();
        output.Write(_header.Written);
        output.Write(body);
        return _header.Length + _body.Length;
    }

    /// <summary>
    /// Fills <see cref="_indices"/> (one per present value) and <see cref="_entries"/> (first row of each distinct
    /// value) and returns the number of entries, or -1 when the column has too many distinct values for a
    /// dictionary to pay (more than a quarter of its values, or 65536).
    /// </summary>
    /// <summary>A column whose first 8192 values hold 6144 distinct ones will not end under the limit of a quarter:
    /// give up there rather than hash a quarter of a high-cardinality column (energies, means) for nothing.</summary>
    private const int EarlyValues = 8192, EarlyDistinct = 6144;

    private int BuildDictionary(ColumnChunkBuffer column)
    {
        int valid = column.ValidCount;
        if (valid == 0 || column.Spec.Kind == ColumnKind.Binary) return -1;
        int limit = Math.Min(65_536, Math.Max(16, valid / 4));
        int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(32, Math.Min(valid, limit) * 2));
        Ensure(ref _slots, size);
        var slots = _slots.AsSpan(0, size);
        slots.Clear(); // 0 = empty, else entry + 1
        int shift = 64 - System.Numerics.BitOperations.Log2((uint)size);
        return column.VarLen ? DictionaryOfBytes(column, slots, shift, limit)
            : column.Width == 8 ? DictionaryOf(MemoryMarshal.Cast<byte, ulong>(column.Values.AsSpan(0, column.Rows * 8)), column.Valid, valid == column.Rows, slots, shift, limit)
            : DictionaryOf(MemoryMarshal.Cast<byte, uint>(column.Values.AsSpan(0, column.Rows * 4)), column.Valid, valid == column.Rows, slots, shift, limit);
    }

    /// <summary>Open addressing on the value's bits (Fibonacci hashing); specialised per width so the loop inlines.
    /// A value equal to the one before takes its entry without hashing: interval starts, counts, flags and
    /// revisions come in long runs.</summary>
    private int DictionaryOf<T>(ReadOnlySpan<T> values, byte[] valid, bool dense, Span<int> slots, int shift, int limit)
        where T : unmanaged, IEquatable<T>, System.Numerics.IBinaryInteger<T>
    {
        var entries = _entries;
        var indices = _indices;
        int count = 0, k = 0, mask = slots.Length - 1;
        T previous = default;
        int previousEntry = -1;
        for (int r = 0; r < values.Length; r++)
        {
            if (valid[r] == 0) continue;
            T v = values[r];
            if (previousEntry >= 0 && v.Equals(previous))
            {
                // A run (two equal in a row at least) in a column without nulls: find its end with a vector scan.
                if (dense && r + 1 < values.Length && values[r + 1].Equals(v))
                {
                    int run = values[r..].IndexOfAnyExcept(v);
                    if (run < 0) run = values.Length - r;
                    indices.AsSpan(k, run).Fill(previousEntry);
                    k += run;
                    r += run - 1;
                    continue;
                }
                indices[k++] = previousEntry;
                continue;
            }
            previous = v;
            int slot = (int)((ulong.CreateTruncating(v) * 0x9E3779B97F4A7C15) >> shift);
            while (true)
            {
                int entry = slots[slot] - 1;
                if (entry < 0)
                {
                    if (count == limit || count == EarlyDistinct && k < EarlyValues) return -1;
                    slots[slot] = count + 1;
                    entries[count] = r;
                    previousEntry = count;
                    indices[k++] = count++;
                    break;
                }
                if (values[entries[entry]].Equals(v))
                {
                    previousEntry = entry;
                    indices[k++] = entry;
                    break;
                }
                slot = (slot + 1) & mask;
            }
        }
        return count;
    }

    /// <summary>Strings (ids) by hash, with one shortcut: ids tend to come in the same order again (every meter once
    /// per quarter hour, in the head-end's order), so each entry remembers the entry that followed it last, and a
    /// value equal to that successor takes it without hashing or probing.</summary>
    private int DictionaryOfBytes(ColumnChunkBuffer column, Span<int> slots, int shift, int limit)
    {
        Ensure(ref _successors, Math.Min(column.ValidCount, limit) + 1);
        var successors = _successors;
        int count = 0, k = 0, mask = slots.Length - 1, previous = -1;
        for (int r = 0; r < column.Rows; r++)
        {
            if (column.Valid[r] == 0) continue;
            var value = Bytes(column, r);
            int entry = previous >= 0 ? successors[previous] : -1;
            if (entry < 0 || !ShortKey.Equal(Bytes(column, _entries[entry]), value))
            {
                int slot = (int)(ShortKey.Hash(value) >> shift);
                while (true)
                {
                    entry = slots[slot] - 1;
                    if (entry < 0)
                    {
                        if (count == limit || count == EarlyDistinct && k < EarlyValues) return -1;
                        slots[slot] = count + 1;
                        _entries[count] = r;
                        successors[count] = -1;
                        entry = count++;
                        break;
                    }
                    if (ShortKey.Equal(Bytes(column, _entries[entry]), value)) break;
                    slot = (slot + 1) & mask;
                }
                if (previous >= 0) successors[previous] = entry;
            }
            _indices[k++] = entry;
            previous = entry;
        }
        return count;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<byte> Bytes(ColumnChunkBuffer c, int row) => c.Values.AsSpan(c.Offsets[row], c.Offsets[row + 1] - c.Offsets[row]);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static ulong Fixed(ColumnChunkBuffer c, int row) => c.Width == 8
        ? MemoryMarshal.Read<ulong>(c.Values.AsSpan(row * 8))
        : MemoryMarshal.Read<uint>(c.Values.AsSpan(row * 4));

    /// <summary>Rows holding the min and max present value, scanning only the dictionary entries when there is
    /// one; NaN is left out (as Arrow and DuckDB do: it has no place in an order), so an all-NaN chunk has none.</summary>
    private (int MinRow, int MaxRow) Statistics(ColumnChunkBuffer c, int entries)
    {
        if (c.ValidCount == 0 || c.Spec.Kind == ColumnKind.Binary) return (-1, -1);
        return c.Spec.Kind switch
        {
            ColumnKind.Float64 => MinMax(MemoryMarshal.Cast<byte, double>(c.Values.AsSpan(0, c.Rows * 8)), c.Valid, entries),
            ColumnKind.Int32 => MinMax(MemoryMarshal.Cast<byte, int>(c.Values.AsSpan(0, c.Rows * 4)), c.Valid, entries),
            ColumnKind.Utf8 => MinMaxBytes(c, entries),
            _ => MinMax(MemoryMarshal.Cast<byte, long>(c.Values.AsSpan(0, c.Rows * 8)), c.Valid, entries),
        };
    }

    /// <summary>Typed so each loop is a plain compare (a per-row switch on the kind was a fifth of encoding).</summary>
    private (int MinRow, int MaxRow) MinMax<T>(ReadOnlySpan<T> values, byte[] valid, int entries) where T : unmanaged, System.Numerics.INumber<T>
    {
        int minRow = -1, maxRow = -1;
        T min = default, max = default;
        int count = entries >= 0 ? entries : values.Length;
        for (int i = 0; i < count; i++)
        {
            int r = entries >= 0 ? _entries[i] : i;
            if (valid[r] == 0) continue;
            T v = values[r];
            if (T.IsNaN(v)) continue;
            if (minRow < 0) { (minRow, maxRow, min, max) = (r, r, v, v); continue; }
            if (v < min) (minRow, min) = (r, v);
            if (v > max) (maxRow, max) = (r, v);
        }
        return (minRow, maxRow);
    }

    private (int MinRow, int MaxRow) MinMaxBytes(ColumnChunkBuffer c, int entries)
    {
        int minRow = -1, maxRow = -1;
        int count = entries >= 0 ? entries : c.Rows;
        for (int i = 0; i < count; i++)
        {
            int r = entries >= 0 ? _entries[i] : i;
            if (c.Valid[r] == 0) continue;
            if (minRow < 0) { minRow = maxRow = r; continue; }
            var v = Bytes(c, r);
            if (v.SequenceCompareTo(Bytes(c, minRow)) < 0) minRow = r;
            if (v.SequenceCompareTo(Bytes(c, maxRow)) > 0) maxRow = r;
        }
        return (minRow, maxRow);
    }

    private static void Ensure(ref int[] array, int length)
    {
        if (array.Length >= length) return;
        if (array.Length != 0) ArraysBySize<int>.Return(array);
        array = ArraysBySize<int>.Rent(length);
    }

    public void Dispose()
    {
        _body.Dispose();
        _compressed.Dispose();
        _header.Dispose();
        ReturnScratch();
    }
}
