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
        while (i < n)
        {
            // Only look for a run where the pending literals fill whole groups of eight.
            if (((i - literalStart) & 7) == 0)
            {
                int v = values[i], run = 1;
                while (i + run < n && values[i + run] == v) run++;
                if (run >= MinRun)
                {
                    BitPack(values[literalStart..i], bitWidth, sink);
                    sink.WriteVarint((ulong)run << 1);
                    WriteValue(v, bitWidth, sink);
                    i += run;
                    literalStart = i;
                    continue;
                }
                i += Math.Min(run, 8) == 8 ? 8 : 1;
                continue;
            }
            i++;
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

    /// <summary>Bit-packed groups of eight (the last group padded with zeros; readers stop at the value count).</summary>
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
        for (int i = 0; i < groups * 8; i++)
        {
            ulong v = i < values.Length ? (uint)values[i] : 0;
            accumulator |= v << bits;
            bits += bitWidth;
            while (bits >= 8)
            {
                output[o++] = (byte)accumulator;
                accumulator >>= 8;
                bits -= 8;
            }
        }
        sink.Advance(bytes);
    }
}
