using System.Runtime.CompilerServices;

namespace Metrify.Engine.Columnar;

public sealed unsafe partial class ColumnBatch
{
    /// <summary>
    /// Appends the given rows of <paramref name="source"/> (same table), column by column. Used to split a decoded
    /// batch by partition when its rows span several hours; the common single-hour batch is never copied.
    /// </summary>
    [SkipLocalsInit]
    public void AppendRows(ColumnBatch source, ReadOnlySpan<int> rows)
    {
        if (!ReferenceEquals(source.Table, Table)) throw new ArgumentException("Batches of different tables.", nameof(source));
        if (Count + rows.Length > Capacity) throw new ArgumentException("Not enough room for the rows.", nameof(rows));
        int baseRow = Count;
        for (int c = 0; c < _values.Length; c++)
        {
            if (_data[c] is not null)
            {
                AppendVarLen(source, c, rows, baseRow);
            }
            else
            {
                int width = WidthOf(Table.Columns[c].Kind);
                byte* src = source._values[c].Pointer, dst = _values[c].Pointer;
                if (width == 8)
                    for (int i = 0; i < rows.Length; i++) ((long*)dst)[baseRow + i] = ((long*)src)[rows[i]];
                else
                    for (int i = 0; i < rows.Length; i++) ((int*)dst)[baseRow + i] = ((int*)src)[rows[i]];
            }
            if (_validity[c] is { } v)
            {
                byte* srcBits = source._validity[c]!.Pointer, dstBits = v.Pointer;
                for (int i = 0; i < rows.Length; i++)
                {
                    int r = rows[i], d = baseRow + i;
                    if ((srcBits[r >> 3] & (1 << (r & 7))) != 0) dstBits[d >> 3] |= (byte)(1 << (d & 7));
                }
            }
        }
        long* starts = (long*)_rowStart.Pointer, ends = (long*)_rowEnd.Pointer;
        long* srcStarts = (long*)source._rowStart.Pointer, srcEnds = (long*)source._rowEnd.Pointer;
        for (int i = 0; i < rows.Length; i++)
        {
            starts[baseRow + i] = srcStarts[rows[i]];
            ends[baseRow + i] = srcEnds[rows[i]];
        }
        Count += rows.Length;
    }

    private void AppendVarLen(ColumnBatch source, int c, ReadOnlySpan<int> rows, int baseRow)
    {
        int* srcOffsets = (int*)source._values[c].Pointer;
        int needed = ((int*)_values[c].Pointer)[baseRow];
        for (int i = 0; i < rows.Length; i++) needed += srcOffsets[rows[i] + 1] - srcOffsets[rows[i]];
        if (needed > _data[c]!.Length) GrowData(c, needed);
        int* dstOffsets = (int*)_values[c].Pointer;
        byte* srcData = source._data[c]!.Pointer, dstData = _data[c]!.Pointer;
        int pos = dstOffsets[baseRow];
        for (int i = 0; i < rows.Length; i++)
        {
            int r = rows[i], len = srcOffsets[r + 1] - srcOffsets[r];
            Buffer.MemoryCopy(srcData + srcOffsets[r], dstData + pos, len, len);
            pos += len;
            dstOffsets[baseRow + i + 1] = pos;
        }
    }
}

public sealed unsafe partial class ColumnBatch
{
    /// <summary>Takes the last committed row out again (its validity bits cleared, its bytes left to be overwritten).</summary>
    internal void RemoveLastRow()
    {
        Count--;
        DiscardRow();
    }

    /// <summary>Committed values of a fixed-width 64-bit column, writable (for late fix-ups on cold paths).</summary>
    internal Span<long> MutableInt64Values(int column) => new(_values[column].Pointer, Count);

    internal Span<int> MutableInt32Values(int column) => new(_values[column].Pointer, Count);

    /// <summary>The validity bitmap of a nullable column (bit set = value present), or empty for a required one.</summary>
    internal ReadOnlySpan<byte> ValidityBits(int column) =>
        _validity[column] is { } v ? new ReadOnlySpan<byte>(v.Pointer, (Count + 7) / 8) : default;
}

public sealed unsafe partial class ColumnBatch
{
    /// <summary>
    /// Keeps only the given rows (ascending), moved down in place; used to drop identical duplicates. Since
    /// <c>rows[i] &gt;= i</c>, every value is read before its slot is overwritten.
    /// </summary>
    internal void KeepRows(ReadOnlySpan<int> rows)
    {
        int kept = rows.Length, old = Count;
        for (int c = 0; c < _values.Length; c++)
        {
            if (_data[c] is not null)
            {
                int* offsets = (int*)_values[c].Pointer;
                byte* data = _data[c]!.Pointer;
                int pos = 0;
                for (int i = 0; i < kept; i++)
                {
                    int r = rows[i], start = offsets[r], len = offsets[r + 1] - start;
                    Buffer.MemoryCopy(data + start, data + pos, len, len);
                    offsets[i] = pos;
                    pos += len;
                }
                offsets[kept] = pos;
            }
            else
            {
                int width = WidthOf(Table.Columns[c].Kind);
                byte* v = _values[c].Pointer;
                if (width == 8)
                    for (int i = 0; i < kept; i++) ((long*)v)[i] = ((long*)v)[rows[i]];
                else
                    for (int i = 0; i < kept; i++) ((int*)v)[i] = ((int*)v)[rows[i]];
            }
            if (_validity[c] is { } validity)
            {
                byte* bits = validity.Pointer;
                for (int i = 0; i < kept; i++)
                {
                    int r = rows[i];
                    bool set = (bits[r >> 3] & (1 << (r & 7))) != 0;
                    if (set) bits[i >> 3] |= (byte)(1 << (i & 7));
                    else bits[i >> 3] &= (byte)~(1 << (i & 7));
                }
                for (int i = kept; i < old; i++) bits[i >> 3] &= (byte)~(1 << (i & 7));
            }
        }
        long* starts = (long*)_rowStart.Pointer, ends = (long*)_rowEnd.Pointer;
        for (int i = 0; i < kept; i++)
        {
            starts[i] = starts[rows[i]];
            ends[i] = ends[rows[i]];
        }
        Count = kept;
    }
}
