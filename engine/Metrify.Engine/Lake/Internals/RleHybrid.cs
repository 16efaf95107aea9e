using System.Runtime.CompilerServices;

namespace Metrify.Engine.Lake.Internals;

/// <summary>
/// Parquet's RLE / bit-packing hybrid (definition levels and dictionary indices). Runs of 16 or more equal values
/// become RLE runs; everything else is bit-packed in groups of eight, LSB first.
/// </summary>
internal static class RleHybrid
{
    private const int MinRun = 16;

    public static int BitWidth(int maxValue) => maxValue <= 0 ? 0 : 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)maxValue);

    public static void Encode(ReadOnlySpan<int> values, int bitWidth, ByteSink sink)
    {
        int literalStart = 0, i = 0, n = values.Length;
        // Runs are looked for only where the pending literals fill whole groups of eight.
        while (i < n)
        {
            int v = values[i], run = 1;
            if (i + 1 < n && values[i + 1] == v)
            {
                // A run: its end by a vector scan (dictionary indices of sorted or constant columns run long).
                run = values[i..].IndexOfAnyExcept(v);
                if (run < 0) run = n - i;
            }
            if (run < MinRun)
            {
                i += 8;
                continue;
            }
            BitPack(values[literalStart..i], bitWidth, sink);
            sink.WriteVarint((ulong)run << 1);
            WriteValue(v, bitWidth, sink);
            i += run;
            literalStart = i;
        }
        BitPack(values[literalStart..n], bitWidth, sink);
    }

    /// <summary>One RLE run of <paramref name="count"/> copies of <paramref name="value"/>.</summary>
    public static void Run(int count, int value, int bitWidth, ByteSink sink)
    {
        if (count == 0) return;
        sink.WriteVarint((ulong)count << 1);
        WriteValue(value, bitWidth, sink);
    }

    private static void WriteValue(int value, int bitWidth, ByteSink sink)
    {
        for (int b = 0; b < (bitWidth + 7) / 8; b++) sink.WriteByte((byte)(value >> (8 * b)));
    }

    /// <summary>Bit-packed groups of eight (the last group padded with zeros; readers stop at the value count),
    /// LSB first, stored eight bytes at a time.</summary>
    [SkipLocalsInit]
    private static void BitPack(ReadOnlySpan<int> values, int bitWidth, ByteSink sink)
    {
        if (values.IsEmpty) return;
        int groups = (values.Length + 7) / 8;
        sink.WriteVarint((ulong)groups << 1 | 1);
        int bytes = groups * bitWidth;
        var output = sink.GetSpan(bytes);
        ulong accumulator = 0;
        int bits = 0, o = 0;
        foreach (int value in values)
        {
            ulong v = (uint)value;
            accumulator |= v << bits;
            bits += bitWidth;
            if (bits < 64) continue;
            // Whole words only while the values fill them: o + 8 never passes the packed size.
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(output[o..], accumulator);
            o += 8;
            bits -= 64;
            accumulator = bits == 0 ? 0 : v >> (bitWidth - bits);
        }
        for (; o < bytes; o++, accumulator >>= 8) output[o] = (byte)accumulator; // the tail and the zero padding
        sink.Advance(bytes);
    }
}
