using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Metrify.Engine.Frames.Text;

/// <summary>
/// Up to 32 bytes kept to be recognised again (the text of the last instant parsed, the bytes between a JSON line's
/// values): held as two overlapping 16-byte vectors, so a comparison is two loads and two compares instead of a call.
/// Shorter texts compare as two overlapping words (8 to 15 bytes) or byte by byte (under 8).
/// </summary>
internal struct ShortBytes
{
    public const int MaxLength = 32;
    private Vector128<byte> _head, _tail;

    public int Length { get; private set; }

    /// <summary>Keeps <paramref name="bytes"/> (at most <see cref="MaxLength"/> of them).</summary>
    public static ShortBytes Of(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxLength) throw new ArgumentOutOfRangeException(nameof(bytes), "At most 32 bytes.");
        if (bytes.Length >= 16)
            return new ShortBytes { _head = Vector128.Create(bytes), _tail = Vector128.Create(bytes[^16..]), Length = bytes.Length };
        Span<byte> head = stackalloc byte[16], tail = stackalloc byte[16];
        head.Clear();
        tail.Clear();
        if (bytes.Length >= 8)
        {
            bytes[..8].CopyTo(head);
            bytes[^8..].CopyTo(tail);
        }
        else bytes.CopyTo(head);
        return new ShortBytes { _head = Vector128.Create(head), _tail = Vector128.Create(tail), Length = bytes.Length };
    }

    /// <summary>Whether <paramref name="s"/> holds these bytes at <paramref name="at"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool Matches(ReadOnlySpan<byte> s, int at)
    {
        int length = Length;
        if (at + length > s.Length) return false;
        ref byte start = ref Unsafe.Add(ref MemoryMarshal.GetReference(s), at);
        if (length >= 16)
            return Vector128.LoadUnsafe(ref start) == _head
                && Vector128.LoadUnsafe(ref Unsafe.Add(ref start, length - 16)) == _tail;
        if (length >= 8)
            return Unsafe.ReadUnaligned<ulong>(ref start) == _head.AsUInt64().GetElement(0)
                && Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, length - 8)) == _tail.AsUInt64().GetElement(0);
        for (int k = 0; k < length; k++)
            if (Unsafe.Add(ref start, k) != _head.GetElement(k)) return false;
        return true;
    }

    /// <summary>Whether <paramref name="text"/> is exactly these bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool SameAs(ReadOnlySpan<byte> text) => text.Length == Length && Matches(text, 0);
}
