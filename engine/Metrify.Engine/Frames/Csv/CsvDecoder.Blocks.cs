using Metrify.Engine.Columnar;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Metrify.Engine.Frames.Csv;

public sealed partial class CsvDecoder
{
    /// <summary>
    /// The fast path over a run of plain lines, as Sep reads: each 32-byte block of the buffer is compared once
    /// against the separator, the line feed and the quote, and the fields are cut at the set bits of that mask, which
    /// carries over from one line to the next. Stops, with the row it had begun discarded, at the first line it
    /// does not take whole: one holding a quote, a field that does not parse, the wrong number of fields, an empty
    /// or over-long line, or one that runs into the last 32 bytes of <paramref name="data"/>. The caller reads that
    /// line on the line-at-a-time path, which quarantines it with its reason.
    /// </summary>
    /// <returns>Where the first line not taken starts.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // fully optimised from the first call when a JIT runs it (docs/design.md, Shipping)
    private int DecodeBlocks(ReadOnlySpan<byte> data, int pos, long dataOffset)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        int[] map = _fieldToColumn;
        ColumnKind[] kinds = _fieldKind;
        int fields = map.Length;
        var separator = Vector256.Create(_separator);
        var lineFeed = Vector256.Create((byte)'\n');
        var quote = Vector256.Create((byte)'"');

        int lineStart = pos, fieldStart = pos, field = 0;
        long timestamp = 0;
        int block = pos;
        if (block + 32 > data.Length) return pos;
        uint mask = Structural(Vector256.LoadUnsafe(ref start, (nuint)block), separator, lineFeed, quote);
        while (true)
        {
            while (mask == 0)
            {
                block += 32;
                if (block + 32 > data.Length) return GiveUp(lineStart, field);
                mask = Structural(Vector256.LoadUnsafe(ref start, (nuint)block), separator, lineFeed, quote);
            }
            int at = block + BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
            byte hit = Unsafe.Add(ref start, at);
            bool lineEnds = hit != _separator;
            if (lineEnds && hit != (byte)'\n') return GiveUp(lineStart, field + 1); // a quote
            // One place stores a field, whether a separator or the line end closes it: the parsers are inlined once.
            int fieldEnd = lineEnds && at > lineStart && Unsafe.Add(ref start, at - 1) == (byte)'\r' ? at - 1 : at;
            if (field < fields && map[field] >= 0
                && !StoreText(map[field], kinds[field], data[fieldStart..fieldEnd], ref timestamp, out _))
                return GiveUp(lineStart, field + 1);
            field++;
            fieldStart = at + 1;
            if (!lineEnds) continue;
            int lineLength = fieldEnd - lineStart;
            if (field != fields || lineLength == 0 || lineLength > MaxRecordBytes) return GiveUp(lineStart, field);
            AcceptRow(dataOffset + lineStart, dataOffset + fieldEnd, timestamp);
            Stats.BytesSkipped += at + 1 - fieldEnd; // the line ending
            LineNumber++;
            lineStart = at + 1;
            field = 0;
            timestamp = 0;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Structural(Vector256<byte> v, Vector256<byte> separator, Vector256<byte> lineFeed, Vector256<byte> quote) =>
        (Vector256.Equals(v, separator) | Vector256.Equals(v, lineFeed) | Vector256.Equals(v, quote)).ExtractMostSignificantBits();

    /// <summary>Leaves the line that starts at <paramref name="lineStart"/> to the line-at-a-time path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int GiveUp(int lineStart, int fieldsStored)
    {
        if (fieldsStored != 0) Batch.DiscardRow();
        return lineStart;
    }
}
