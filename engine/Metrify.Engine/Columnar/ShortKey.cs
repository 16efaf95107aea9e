using System.IO.Hashing;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Metrify.Engine.Columnar;

/// <summary>
/// Hashing and comparing short byte keys (meter, operator and station ids) on the hot paths: a series lookup per
/// reading, a dictionary lookup per id written. Ids of 8 to 16 bytes are two overlapping words, so the hash is a
/// multiply-shift mix and the comparison two word compares; where a general hash is a call and a length switch.
/// </summary>
internal static class ShortKey
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ReadOnlySpan<byte> key)
    {
        if (key.Length is < 8 or > 16) return XxHash3.HashToUInt64(key);
        ref byte b = ref MemoryMarshal.GetReference(key);
        ulong x = Unsafe.ReadUnaligned<ulong>(ref b) ^ BitOperations.RotateLeft(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b, key.Length - 8)), 29)
            ^ (ulong)key.Length;
        x = (x ^ (x >> 31)) * 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 29)) * 0xBF58476D1CE4E5B9UL;
        return x ^ (x >> 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Equal(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length != b.Length) return false;
        if (a.Length is < 8 or > 16) return a.SequenceEqual(b);
        ref byte x = ref MemoryMarshal.GetReference(a), y = ref MemoryMarshal.GetReference(b);
        int last = a.Length - 8;
        return Unsafe.ReadUnaligned<ulong>(ref x) == Unsafe.ReadUnaligned<ulong>(ref y)
            && Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref x, last)) == Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref y, last));
    }
}
