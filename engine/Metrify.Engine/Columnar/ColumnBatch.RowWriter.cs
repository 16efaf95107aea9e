using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Metrify.Engine.Columnar;

public sealed unsafe partial class ColumnBatch
{
    /// <summary>A writer for the current row (index <see cref="Count"/>).</summary>
    public RowWriter Writer
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(this, Count);
    }

    /// <summary>
    /// Writes one row's values. It holds the row index and the column pointers in locals: the JIT must assume that a
    /// store through a pointer may change any object, so the batch's setters reload the batch's fields after every
    /// value, and a frame's row of ten columns paid for that ten times. Take one per row, write the row, then
    /// <see cref="CommitRow"/>; a writer must not outlive its row.
    /// </summary>
    public readonly ref struct RowWriter
    {
        private readonly ColumnBatch _batch;
        private readonly ColumnPointers* _columns;
        private readonly int _row;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal RowWriter(ColumnBatch batch, int row)
        {
            _batch = batch;
            _columns = batch._columns;
            _row = row;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void SetDouble(int column, double value) => Set(column, value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void SetInt64(int column, long value) => Set(column, value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void SetInt32(int column, int value) => Set(column, value);

        /// <summary>A fixed-width value of the column's width, and its validity bit when the column is nullable.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Set<T>(int column, T value) where T : unmanaged
        {
            var p = _columns + column;
            ((T*)p->Values)[_row] = value;
            if (p->Validity != null) p->Validity[_row >> 3] |= (byte)(1 << (_row & 7));
        }

        /// <summary>Marks the column null. Var-len columns still get their (empty) offset.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void SetNull(int column)
        {
            var p = _columns + column;
            if (p->Validity != null) p->Validity[_row >> 3] &= (byte)~(1 << (_row & 7));
            if (p->Data != null)
            {
                int* offsets = (int*)p->Values;
                offsets[_row + 1] = offsets[_row];
            }
        }

        /// <summary>Stores a UTF-8 string or binary value. The data buffer grows (by renting a bigger one) when needed.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void SetBytes(int column, ReadOnlySpan<byte> value)
        {
            var p = _columns + column;
            int* offsets = (int*)p->Values;
            int start = offsets[_row];
            int length = value.Length;
            if (start + length > p->DataLength) _batch.GrowData(column, start + length, _row);
            byte* to = p->Data + start;
            // Ids, codes and units are short: two overlapping word (or vector) moves beat a call to memmove.
            ref byte from = ref MemoryMarshal.GetReference(value);
            if (length is >= 8 and <= 16)
            {
                Unsafe.WriteUnaligned(to, Unsafe.ReadUnaligned<ulong>(ref from));
                Unsafe.WriteUnaligned(to + length - 8, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref from, length - 8)));
            }
            else if (length is > 16 and <= 32)
            {
                Unsafe.WriteUnaligned(to, Unsafe.ReadUnaligned<Vector128<byte>>(ref from));
                Unsafe.WriteUnaligned(to + length - 16, Unsafe.ReadUnaligned<Vector128<byte>>(ref Unsafe.Add(ref from, length - 16)));
            }
            else if (length is >= 4 and < 8)
            {
                Unsafe.WriteUnaligned(to, Unsafe.ReadUnaligned<uint>(ref from));
                Unsafe.WriteUnaligned(to + length - 4, Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref from, length - 4)));
            }
            else if (length > 0 && length < 4) // first, middle and last byte: all of 1, 2 or 3 without a loop
            {
                to[0] = from;
                to[length >> 1] = Unsafe.Add(ref from, length >> 1);
                to[length - 1] = Unsafe.Add(ref from, length - 1);
            }
            else value.CopyTo(new Span<byte>(to, length));
            offsets[_row + 1] = start + length;
            if (p->Validity != null) p->Validity[_row >> 3] |= (byte)(1 << (_row & 7));
        }
    }
}
