using System.Runtime.CompilerServices;

namespace Metrify.Engine.Columnar;

public sealed unsafe partial class ColumnBatch
{
    /// <summary>
    /// Appends the given rows of <paramref name="source"/> (same table), column by column. Used to split a decoded
    /// batch by partition when its rows span several hours; the common single-hour batch is never copied.
    /// <paramref name="withValues"/> (<see cref="ColumnsWithValues"/> of the source, taken once per source batch):
    /// columns whose bit is clear are all null and not copied; every column is copied by default.
    /// </summary>
    [SkipLocalsInit]
    public void AppendRows(ColumnBatch source, ReadOnlySpan<int> rows, ulong withValues = ulong.MaxValue)
    {
        if (!ReferenceEquals(source.Table, Table)) throw new ArgumentException("Batches of different tables.", nameof(source));
        if (Count + rows.Length > Capacity) throw new ArgumentException("Not enough room for the rows.", nameof(rows));
        int baseRow = Count;
        for (int c = 0; c < _values.Length; c++)
        {
            if (c < 64 && (withValues & (1UL << c)) == 0)
            {
                // All null: the rows' validity bits stay clear and their value slots are never read.
                if (_data[c] is not null) new Span<int>((int*)_values[c].Pointer + baseRow + 1, rows.Length).Fill(((int*)_values[c].Pointer)[baseRow]);
                continue;
            }
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
        if (needed > _data[c]!.Length) GrowData(c, needed, baseRow);
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
    /// Keeps only the given rows (ascending), moved down in place; used to drop identical duplicates. Rows are moved
    /// in runs of consecutive kept rows (drops are rare), and a validity bitmap that is all set or all clear is not
    /// touched row by row. Since <c>rows[i] &gt;= i</c>, every value is read before its slot is overwritten.
    /// </summary>
    internal void KeepRows(ReadOnlySpan<int> rows)
    {
        int kept = rows.Length, old = Count;
        if (kept == old) return;
        // Runs never outnumber the dropped rows + 1 (each run after the first starts past a drop); drops are rare.
        var rented = System.Buffers.ArrayPool<(int From, int To, int Length)>.Shared.Rent(old - kept + 1);
        var runs = rented.AsSpan();
        int runCount = 0;
        for (int i = 0; i < kept;)
        {
            int start = i;
            while (i + 1 < kept && rows[i + 1] == rows[i] + 1) i++;
            i++;
            runs[runCount++] = (rows[start], start, i - start);
        }
        runs = runs[..runCount];
        for (int c = 0; c < _values.Length; c++)
        {
            int nulls = _validity[c] is null ? 0 : NullCount(c);
            if (_data[c] is not null)
            {
                int* offsets = (int*)_values[c].Pointer;
                byte* data = _data[c]!.Pointer;
                foreach (var (from, to, length) in runs)
                {
                    int start = offsets[from], end = offsets[from + length], at = offsets[to];
                    Buffer.MemoryCopy(data + start, data + at, end - start, end - start);
                    int shift = start - at;
                    // offsets[to..to+length) are written after offsets[from..] (from >= to) were read for this run.
                    for (int k = 1; k <= length; k++) offsets[to + k] = offsets[from + k] - shift;
                }
            }
            else if (nulls != old) // an all-null column has no values worth moving
            {
                int width = WidthOf(Table.Columns[c].Kind);
                byte* v = _values[c].Pointer;
                foreach (var (from, to, length) in runs)
                    if (from != to) Buffer.MemoryCopy(v + (long)from * width, v + (long)to * width, (long)length * width, (long)length * width);
            }
            if (_validity[c] is { } validity && nulls != 0)
            {
                byte* bits = validity.Pointer;
                if (nulls != old)
                    foreach (var (from, to, length) in runs)
                        for (int k = 0; k < length; k++)
                        {
                            int r = from + k, d = to + k;
                            if ((bits[r >> 3] & (1 << (r & 7))) != 0) bits[d >> 3] |= (byte)(1 << (d & 7));
                            else bits[d >> 3] &= (byte)~(1 << (d & 7));
                        }
                for (int i = kept; i < old; i++) bits[i >> 3] &= (byte)~(1 << (i & 7));
            }
            else if (_validity[c] is { } allSet)
            {
                for (int i = kept; i < old; i++) allSet.Pointer[i >> 3] &= (byte)~(1 << (i & 7));
            }
        }
        long* starts = (long*)_rowStart.Pointer, ends = (long*)_rowEnd.Pointer;
        foreach (var (from, to, length) in runs)
        {
            Buffer.MemoryCopy(starts + from, starts + to, length * 8L, length * 8L);
            Buffer.MemoryCopy(ends + from, ends + to, length * 8L, length * 8L);
        }
        System.Buffers.ArrayPool<(int, int, int)>.Shared.Return(rented);
        Count = kept;
    }
}
