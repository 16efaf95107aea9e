using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Apache.Arrow;
using Apache.Arrow.Types;

namespace Metrify.Engine.Columnar;

/// <summary>
/// Rows of one table in pooled, 64-byte aligned native column buffers, shaped exactly as Arrow lays them out
/// (values, validity bitmap, int32 offsets plus data for strings), so <see cref="ToRecordBatch"/> is a view, not a
/// copy. Decoders write the row at index <see cref="Count"/> and then <see cref="CommitRow"/> it, or
/// <see cref="DiscardRow"/> it when the record turns out bad: nothing of a discarded row stays visible.
/// Batches are reused through <see cref="ColumnBatchPool"/>; a batch belongs to one thread at a time.
/// </summary>
[SkipLocalsInit]
public sealed unsafe partial class ColumnBatch : IDisposable
{
    private readonly NativeBufferPool _memory;
    private readonly NativeBuffer[] _values;      // fixed-width values, or int32 offsets (Capacity + 1) for var-len
    private readonly NativeBuffer?[] _validity;   // null for non-nullable columns
    private readonly NativeBuffer?[] _data;       // var-len bytes
    private readonly NativeBuffer _rowStart;      // source byte offset of each row
    private readonly NativeBuffer _rowEnd;        // one past the last byte of each row

    /// <summary>The raw pointers of each column's buffers, so a store is a couple of instructions: no array bounds
    /// checks, no null checks on buffer objects. Kept in step with the buffers (GrowData replaces Data).</summary>
    private struct ColumnPointers
    {
        public byte* Values, Validity, Data;
        public int DataLength;
    }

    private readonly ColumnPointers[] _pointers; // pinned (pinned object heap), so _columns, which row writers hold, stays valid
    private readonly ColumnPointers* _columns;

    public ColumnBatch(TableSpec table, int capacity, NativeBufferPool? memory = null)
    {
        Table = table;
        Capacity = capacity;
        _memory = memory ?? NativeBufferPool.Shared;
        int n = table.Columns.Count;
        _values = new NativeBuffer[n];
        _validity = new NativeBuffer?[n];
        _data = new NativeBuffer?[n];
        for (int c = 0; c < n; c++)
        {
            var spec = table.Columns[c];
            bool varLen = spec.Kind is ColumnKind.Utf8 or ColumnKind.Binary;
            _values[c] = _memory.Rent(varLen ? (capacity + 1) * 4 : capacity * WidthOf(spec.Kind));
            if (spec.Nullable) _validity[c] = _memory.Rent((capacity + 7) / 8);
            if (varLen) _data[c] = _memory.Rent(capacity * 16);
        }
        _rowStart = _memory.Rent(capacity * 8);
        _rowEnd = _memory.Rent(capacity * 8);
        _pointers = GC.AllocateArray<ColumnPointers>(n, pinned: true);
        _columns = (ColumnPointers*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_pointers));
        for (int c = 0; c < n; c++)
            _pointers[c] = new ColumnPointers
            {
                Values = _values[c].Pointer, Validity = _validity[c] is { } v ? v.Pointer : null,
                Data = _data[c] is { } d ? d.Pointer : null, DataLength = _data[c]?.Length ?? 0,
            };
        Reset();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref ColumnPointers Pointers(int column) => ref _columns[column];

    public TableSpec Table { get; }
    public int Capacity { get; }
    public int Count { get; private set; }
    public bool IsFull => Count == Capacity;

    /// <summary>
    /// A batch also counts as full once its strings and binaries pass this size, so that long records (up to
    /// Ingest:MaxRecordBytes each) can never push one column buffer towards the 1 GiB a buffer may have.
    /// </summary>
    public const long MaxVarLenBytes = 64L << 20;

    /// <summary>Bytes held by the string and binary columns of the committed rows.</summary>
    public long VarLenBytes
    {
        get
        {
            long total = 0;
            for (int c = 0; c < _values.Length; c++)
                if (_data[c] is not null) total += ((int*)_values[c].Pointer)[Count];
            return total;
        }
    }

    /// <summary>Full by rows or by bytes.</summary>
    public bool IsFullOrLarge => Count == Capacity || VarLenBytes >= MaxVarLenBytes;

    /// <summary>Bytes of native memory this batch holds, for the memory budget.</summary>
    public long AllocatedBytes
    {
        get
        {
            long total = _rowStart.Length + _rowEnd.Length;
            for (int c = 0; c < _values.Length; c++)
                total += _values[c].Length + (_validity[c]?.Length ?? 0) + (_data[c]?.Length ?? 0);
            return total;
        }
    }

    internal static int WidthOf(ColumnKind kind) => kind switch
    {
        ColumnKind.Float64 or ColumnKind.TimestampMicros or ColumnKind.Int64 => 8,
        ColumnKind.Int32 => 4,
        _ => 4,
    };

    /// <summary>Empties the batch for reuse. Validity is cleared so a column the decoder never writes is null, and
    /// engine columns (quality flags) start at zero for the checks to set bits in.</summary>
    public void Reset()
    {
        Count = 0;
        for (int c = 0; c < _values.Length; c++)
        {
            if (_validity[c] is { } v) new Span<byte>(v.Pointer, (Capacity + 7) / 8).Clear();
            if (_data[c] is not null) ((int*)_values[c].Pointer)[0] = 0;
            else if (Table.Columns[c].Source == ColumnSource.Engine) new Span<byte>(_values[c].Pointer, Capacity * WidthOf(Table.Columns[c].Kind)).Clear();
        }
    }

    // ---- Writing the current row (index Count): each setter is a row writer's (ColumnBatch.RowWriter.cs).

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetDouble(int column, double value) => Writer.SetDouble(column, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetInt64(int column, long value) => Writer.SetInt64(column, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetInt32(int column, int value) => Writer.SetInt32(column, value);

    /// <summary>Marks the column null in the current row. Var-len columns still get their (empty) offset.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetNull(int column) => Writer.SetNull(column);

    /// <summary>Stores a UTF-8 string or binary value. The data buffer grows (by renting a bigger one) when needed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetBytes(int column, ReadOnlySpan<byte> value) => Writer.SetBytes(column, value);

    /// <summary>Stores a var-len value in row <paramref name="row"/> (the current row, or one of the rows being
    /// appended before <see cref="CommitRows"/>, in order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SetBytesAt(int column, int row, ReadOnlySpan<byte> value) => new RowWriter(this, row).SetBytes(column, value);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private NativeBuffer GrowData(int column, int needed, int row)
    {
        var old = _data[column]!;
        var grown = _memory.Rent(Math.Max(needed, old.Length * 2));
        int used = ((int*)_values[column].Pointer)[row];
        new ReadOnlySpan<byte>(old.Pointer, used).CopyTo(grown.GetSpan());
        _memory.Return(old);
        _data[column] = grown;
        Pointers(column).Data = grown.Pointer;
        Pointers(column).DataLength = grown.Length;
        return grown;
    }

    /// <summary>Makes the current row part of the batch. Columns the decoder did not touch stay null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CommitRow(long sourceStart, long sourceEnd)
    {
        ((long*)_rowStart.Pointer)[Count] = sourceStart;
        ((long*)_rowEnd.Pointer)[Count] = sourceEnd;
        Count++;
    }

    /// <summary>Forgets everything written to the current row (cold path: a record that failed to decode).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void DiscardRow()
    {
        for (int c = 0; c < _values.Length; c++)
            if (_validity[c] is { } v) v.Pointer[Count >> 3] &= (byte)~(1 << (Count & 7));
    }

    /// <summary>Var-len columns the decoder never wrote need their offsets filled before the batch is read.</summary>
    public void FillUnwrittenOffsets(ReadOnlySpan<bool> written)
    {
        for (int c = 0; c < _values.Length; c++)
            if (_data[c] is not null && !written[c])
                new Span<int>(_values[c].Pointer, Count + 1).Clear();
    }

    // ---- Reading

    public ReadOnlySpan<long> RowStarts => new(_rowStart.Pointer, Count);
    public ReadOnlySpan<long> RowEnds => new(_rowEnd.Pointer, Count);

    // Called per row by the checks: inlined, or the call costs more than the read.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<long> Int64Values(int column) => new(_values[column].Pointer, Count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<double> DoubleValues(int column) => new(_values[column].Pointer, Count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<int> Int32Values(int column) => new(_values[column].Pointer, Count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsValid(int column, int row) =>
        _validity[column] is not { } v || (v.Pointer[row >> 3] & (1 << (row & 7))) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> GetBytes(int column, int row)
    {
        int* offsets = (int*)_values[column].Pointer;
        return new ReadOnlySpan<byte>(_data[column]!.Pointer + offsets[row], offsets[row + 1] - offsets[row]);
    }

    /// <summary>Copies a double column's values into <paramref name="into"/> (at least <see cref="Count"/> long),
    /// NaN where the row is null: the checks then read one array per quantity instead of testing bits per row.</summary>
    public void CopyDoublesOrNaN(int column, Span<double> into)
    {
        into = into[..Count];
        var values = DoubleValues(column);
        if (_validity[column] is not { } v) { values.CopyTo(into); return; }
        int nulls = NullCount(column);
        if (nulls == Count) { into.Fill(double.NaN); return; }
        values.CopyTo(into);
        if (nulls == 0) return;
        byte* bits = v.Pointer;
        for (int b = 0; b << 3 < Count; b++)
        {
            if (bits[b] == 0xFF) continue;
            for (int i = b << 3, end = Math.Min(Count, i + 8); i < end; i++)
                if ((bits[b] & (1 << (i & 7))) == 0) into[i] = double.NaN;
        }
    }

    /// <summary>True when some committed row has a value in the column: a nullable column the source does not
    /// have (most of the register columns of a CSV or JSON reading) is all null, and copying or checking it is
    /// skipped. Bits past <see cref="Count"/> are always clear.</summary>
    public bool HasValues(int column) =>
        _validity[column] is not { } v || new ReadOnlySpan<byte>(v.Pointer, (Count + 7) >> 3).IndexOfAnyExcept((byte)0) >= 0;

    /// <summary><see cref="HasValues"/> of the first 64 columns as bits (<see cref="AppendRows"/> copies any later ones).</summary>
    public ulong ColumnsWithValues()
    {
        ulong mask = 0;
        for (int c = 0; c < Math.Min(64, _values.Length); c++)
            if (HasValues(c)) mask |= 1UL << c;
        return mask;
    }

    public int NullCount(int column)
    {
        if (_validity[column] is not { } v) return 0;
        int valid = 0, fullBytes = Count >> 3;
        byte* p = v.Pointer;
        int i = 0;
        for (; i + 8 <= fullBytes; i += 8) valid += BitOperations.PopCount(*(ulong*)(p + i));
        for (; i < fullBytes; i++) valid += BitOperations.PopCount(p[i]);
        if ((Count & 7) != 0) valid += BitOperations.PopCount((uint)(p[fullBytes] & ((1 << (Count & 7)) - 1)));
        return Count - valid;
    }

    /// <summary>
    /// An Arrow view of the rows: the arrays wrap this batch's buffers without copying, so the view is valid until
    /// the batch is reset or returned to its pool.
    /// </summary>
    public RecordBatch ToRecordBatch()
    {
        var arrays = new IArrowArray[_values.Length];
        for (int c = 0; c < arrays.Length; c++)
        {
            var spec = Table.Columns[c];
            int nulls = NullCount(c);
            var validity = nulls == 0 ? ArrowBuffer.Empty : new ArrowBuffer(_validity[c]!.Memory[..((Count + 7) / 8)]);
            if (_data[c] is { } data)
            {
                var offsets = new ArrowBuffer(_values[c].Memory[..((Count + 1) * 4)]);
                var bytes = new ArrowBuffer(data.Memory[..((int*)_values[c].Pointer)[Count]]);
                arrays[c] = spec.Kind == ColumnKind.Utf8
                    ? new StringArray(Count, offsets, bytes, validity, nulls)
                    : new BinaryArray(BinaryType.Default, Count, offsets, bytes, validity, nulls);
                continue;
            }
            var values = new ArrowBuffer(_values[c].Memory[..(Count * WidthOf(spec.Kind))]);
            arrays[c] = spec.Kind switch
            {
                ColumnKind.Float64 => new DoubleArray(values, validity, Count, nulls, 0),
                ColumnKind.Int32 => new Int32Array(values, validity, Count, nulls, 0),
                ColumnKind.Int64 => new Int64Array(values, validity, Count, nulls, 0),
                ColumnKind.TimestampMicros => new TimestampArray((TimestampType)spec.ArrowType, values, validity, Count, nulls, 0),
                _ => throw new InvalidOperationException(spec.Kind.ToString()),
            };
        }
        return new RecordBatch(Table.ArrowSchema, arrays, Count);
    }

    public void Dispose()
    {
        for (int c = 0; c < _values.Length; c++)
        {
            _memory.Return(_values[c]);
            if (_validity[c] is { } v) _memory.Return(v);
            if (_data[c] is { } d) _memory.Return(d);
        }
        _memory.Return(_rowStart);
        _memory.Return(_rowEnd);
    }
}
