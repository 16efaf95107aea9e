using System.Runtime.InteropServices;
using Apache.Arrow;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Lake.Internals;

/// <summary>
/// One column's rows of the row group being built: values in Arrow's physical layout (fixed width, or offsets plus
/// bytes) and one validity byte per row, in pooled arrays that are reused for the next row group.
/// </summary>
internal sealed class ColumnChunkBuffer : IDisposable
{
    public ColumnChunkBuffer(ColumnSpec spec)
    {
        Spec = spec;
        VarLen = spec.Kind is ColumnKind.Utf8 or ColumnKind.Binary;
        Width = VarLen ? 0 : ColumnBatch.WidthOf(spec.Kind);
        Values = ArraysBySize<byte>.Rent(1 << 16);
        Valid = ArraysBySize<byte>.Rent(1 << 13);
        Offsets = ArraysBySize<int>.Rent(VarLen ? 1 << 13 : 1);
        Offsets[0] = 0;
    }

    public readonly ColumnSpec Spec;
    public readonly bool VarLen;
    public readonly int Width;
    public int Rows { get; private set; }
    public int ValidCount { get; private set; }
    /// <summary>Fixed-width values (one slot per row, nulls included), or the var-len bytes.</summary>
    public byte[] Values;
    /// <summary>1 where the row has a value.</summary>
    public byte[] Valid;
    /// <summary>Var-len offsets, <see cref="Rows"/> + 1 of them.</summary>
    public int[] Offsets;

    public int DataBytes => VarLen ? Offsets[Rows] : Rows * Width;

    public void Append(IArrowArray array, int offset, int count)
    {
        var data = array.Data;
        EnsureRows(Rows + count);
        var validity = data.Buffers[0].Span;
        EnsureBytes(VarLen ? 0 : (Rows + count) * Width);
        int start = data.Offset + offset;
        var valid = Valid.AsSpan(Rows, count);
        if (array.NullCount == array.Length)
        {
            // An all-null slice (a column the source does not have): no values to copy, only the levels. The
            // value slots keep whatever they held; nothing reads a slot whose validity byte is 0.
            valid.Clear();
            if (VarLen) Offsets.AsSpan(Rows + 1, count).Fill(Offsets[Rows]);
            Rows += count;
            return;
        }
        if (array.NullCount == 0 || validity.IsEmpty)
        {
            valid.Fill(1);
            ValidCount += count;
        }
        else
        {
            int n = 0;
            for (int i = 0; i < count; i++)
            {
                int bit = (validity[(start + i) >> 3] >> ((start + i) & 7)) & 1;
                valid[i] = (byte)bit;
                n += bit;
            }
            ValidCount += n;
        }
        if (VarLen)
        {
            var offsets = MemoryMarshal.Cast<byte, int>(data.Buffers[1].Span).Slice(start, count + 1);
            var bytes = data.Buffers[2].Span[offsets[0]..offsets[count]];
            EnsureBytes(Offsets[Rows] + bytes.Length);
            bytes.CopyTo(Values.AsSpan(Offsets[Rows]));
            int delta = Offsets[Rows] - offsets[0];
            for (int i = 1; i <= count; i++) Offsets[Rows + i] = offsets[i] + delta;
        }
        else
        {
            EnsureBytes((Rows + count) * Width);
            data.Buffers[1].Span.Slice(start * Width, count * Width).CopyTo(Values.AsSpan(Rows * Width));
        }
        Rows += count;
    }

    private void EnsureRows(int rows)
    {
        if (rows > Valid.Length) Valid = ArraysBySize<byte>.Grow(Valid, rows, Rows);
        if (VarLen && rows + 1 > Offsets.Length) Offsets = ArraysBySize<int>.Grow(Offsets, rows + 1, Rows + 1);
    }

    private void EnsureBytes(int bytes)
    {
        if (bytes > Values.Length) Values = ArraysBySize<byte>.Grow(Values, bytes, DataBytes);
    }

    public void Reset()
    {
        Rows = 0;
        ValidCount = 0;
        Offsets[0] = 0;
    }

    public void Dispose()
    {
        ArraysBySize<byte>.Return(Values);
        ArraysBySize<byte>.Return(Valid);
        ArraysBySize<int>.Return(Offsets);
    }
}
