using System.Runtime.CompilerServices;

namespace Metrify.Engine.Columnar;

/// <summary>Appending several rows at once, column by column: the engine's own rows (aggregates) are made in bulk,
/// without a setter call and a validity test per value.</summary>
public sealed unsafe partial class ColumnBatch
{
    /// <summary>Rows that still fit.</summary>
    public int Room => Capacity - Count;

    /// <summary>The values of the next <paramref name="rows"/> rows of a fixed-width column of <typeparamref name="T"/>'s
    /// width, to fill before <see cref="CommitRows"/>. Their validity is set apart (<see cref="SetValid"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Span<T> NextValues<T>(int column, int rows) where T : unmanaged => new((T*)Pointers(column).Values + Count, rows);

    /// <summary>Marks the next rows [0, <paramref name="rows"/>) present in a nullable column (no-op for a required one).</summary>
    internal void SetValid(int column, int rows)
    {
        byte* bits = Pointers(column).Validity;
        if (bits == null) return;
        for (int r = Count, end = Count + rows; r < end; r++) bits[r >> 3] |= (byte)(1 << (r & 7));
    }

    /// <summary>Marks next row <paramref name="row"/> (counted from <see cref="Count"/>) present in a nullable column.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SetValidAt(int column, int row)
    {
        byte* bits = Pointers(column).Validity;
        int r = Count + row;
        if (bits != null) bits[r >> 3] |= (byte)(1 << (r & 7));
    }

    /// <summary>Makes the next rows part of the batch, each placed at one byte of the source.</summary>
    internal void CommitRows(ReadOnlySpan<long> positions)
    {
        long* starts = (long*)_rowStart.Pointer + Count, ends = (long*)_rowEnd.Pointer + Count;
        for (int i = 0; i < positions.Length; i++)
        {
            starts[i] = positions[i];
            ends[i] = positions[i] + 1;
        }
        Count += positions.Length;
    }
}
