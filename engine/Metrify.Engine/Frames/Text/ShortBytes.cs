using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Metrify.Engine.Frames.Text;

/// <summary>
/// Up to 32 bytes kept to be recognised again (the text of the last instant parsed, the bytes between a JSON line's
/// values): held as two overlapping 16-byte vectors, so a comparison is two loads and two compares instead of a call.
/// Shorter texts compare as two overlapping words (8 to 15 bytes) or byte by byte (under 8). The vectors are
/// compared through their lane masks, not <c>Vector128 ==</c>: crossgen2 (ReadyToRun) silently skipped any method
/// that inlined that operator (docs/benchmarks.md, runs 6 to 8).
/// </summary>
internal struct ShortBytes
{
    public const int MaxLength = 32;
    private Vector128<byte> _head, _tail;
    private ulong _headWord, _tailWord; // under 16 bytes: the first 8 and the last 8 (under 8: the bytes, zero-padded)

    public int Length { get; private set; }

    /// <summary>Keeps <paramref name="bytes"/> (at most <see cref="MaxLength"/> of them).</summary>
    public static ShortBytes Of(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxLength) throw new ArgumentOutOfRangeException(nameof(bytes), "At most 32 bytes.");
        ref byte start = ref MemoryMarshal.GetReference(bytes);
        if (bytes.Length >= 16) // the words are not compared at this length
            return new ShortBytes
            {
                Length = bytes.Length,
                _head = Vector128.LoadUnsafe(ref start),
                _tail = Vector128.LoadUnsafe(ref Unsafe.Add(ref start, bytes.Length - 16)),
            };
        if (bytes.Length >= 8) // nor the vectors at this one
            return new ShortBytes
            {
                Length = bytes.Length,
                _headWord = Unsafe.ReadUnaligned<ulong>(ref start),
                _tailWord = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, bytes.Length - 8)),
            };
        ulong word = 0;
        for (int k = bytes.Length - 1; k >= 0; k--) word = word << 8 | Unsafe.Add(ref start, k);
        return new ShortBytes { Length = bytes.Length, _headWord = word };
    }

    /// <summary>Whether <paramref name="s"/> holds these bytes at <paramref name="at"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool Matches(ReadOnlySpan<byte> s, int at)
    {
        int length = Length;
        if (at + length > s.Length) return false;
        ref byte start = ref Unsafe.Add(ref MemoryMarshal.GetReference(s), at);
        if (length >= 16)
            return (Vector128.Equals(Vector128.LoadUnsafe(ref start), _head)
                & Vector128.Equals(Vector128.LoadUnsafe(ref Unsafe.Add(ref start, length - 16)), _tail)).ExtractMostSignificantBits() == 0xFFFF;
        if (length >= 8)
            return Unsafe.ReadUnaligned<ulong>(ref start) == _headWord
                && Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, length - 8)) == _tailWord;
        for (int k = 0; k < length; k++)
            if (Unsafe.Add(ref start, k) != (byte)(_headWord >> (8 * k))) return false;
        return true;
    }

    /// <summary>Whether <paramref name="text"/> is exactly these bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool SameAs(ReadOnlySpan<byte> text) => text.Length == Length && Matches(text, 0);
}
