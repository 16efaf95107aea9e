using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Metrify.Engine.Frames.Meter;

/// <summary>
/// The last frame a decoder decoded in full, with the bytes that may change from one frame to the next marked free
/// (a P1 value's digits, an SML number's content); every other byte is fixed. A frame equal to it in every fixed byte
/// (and, for P1, with a digit in every free byte) has its structure, so the decoder reuses what it worked out.
/// </summary>
internal sealed class FrameTemplate
{
    private const byte EscapeByte = 0x1B; // SML's escape sequence is four of them

    /// <summary>What a free byte may be: anything, a digit (P1 numbers), or anything but 0x1B (so that no free
    /// byte can be part of an SML escape sequence).</summary>
    public enum FreeBytes : byte { Any, Digits, NotEscape }

    private byte[] _bytes = [], _fixed = [];

    /// <summary>Bytes of the template; -1 when there is none.</summary>
    public int Length { get; private set; } = -1;

    public void Clear() => Length = -1;

    /// <summary>Takes a frame as the template, every byte fixed until <see cref="Free"/> frees some.</summary>
    public void Take(ReadOnlySpan<byte> frame)
    {
        if (_bytes.Length < frame.Length)
        {
            _bytes = new byte[frame.Length * 2];
            _fixed = new byte[frame.Length * 2];
        }
        frame.CopyTo(_bytes);
        _fixed.AsSpan(0, frame.Length).Fill(0xFF);
        Length = frame.Length;
    }

    public void Free(int start, int length) => _fixed.AsSpan(start, length).Clear();

    /// <summary>
    /// True when <paramref name="frame"/> has the template's length and bytes wherever they are fixed, and wherever
    /// they are free a byte that <paramref name="free"/> allows. Vectorised at the widest width the machine
    /// has (on ARM's 128-bit vectors too; one loop per width, as the BCL writes them: 128 bits only cost x64 2 %),
    /// the last block overlapping the one before; scalar below one vector.
    /// </summary>
    public bool Matches(ReadOnlySpan<byte> frame, FreeBytes free)
    {
        int length = frame.Length;
        if (length != Length) return false;
        ref byte f = ref MemoryMarshal.GetReference(frame);
        ref byte t = ref MemoryMarshal.GetArrayDataReference(_bytes);
        ref byte m = ref MemoryMarshal.GetArrayDataReference(_fixed);
        if (Vector256.IsHardwareAccelerated && length >= Vector256<byte>.Count)
        {
            var differ = Vector256<byte>.Zero;
            for (int at = 0; ; at += Vector256<byte>.Count)
            {
                if (at > length - Vector256<byte>.Count) at = length - Vector256<byte>.Count;
                var v = Vector256.LoadUnsafe(ref f, (nuint)at);
                var fix = Vector256.LoadUnsafe(ref m, (nuint)at);
                differ |= (v ^ Vector256.LoadUnsafe(ref t, (nuint)at)) & fix;
                if (free == FreeBytes.Digits) differ |= Vector256.AndNot(Vector256.GreaterThan(v - Vector256.Create((byte)'0'), Vector256.Create((byte)9)), fix);
                else if (free == FreeBytes.NotEscape) differ |= Vector256.AndNot(Vector256.Equals(v, Vector256.Create(EscapeByte)), fix);
                if (at == length - Vector256<byte>.Count) break;
            }
            return differ == Vector256<byte>.Zero;
        }
        if (Vector128.IsHardwareAccelerated && length >= Vector128<byte>.Count)
        {
            var differ = Vector128<byte>.Zero;
            for (int at = 0; ; at += Vector128<byte>.Count)
            {
                if (at > length - Vector128<byte>.Count) at = length - Vector128<byte>.Count;
                var v = Vector128.LoadUnsafe(ref f, (nuint)at);
                var fix = Vector128.LoadUnsafe(ref m, (nuint)at);
                differ |= (v ^ Vector128.LoadUnsafe(ref t, (nuint)at)) & fix;
                if (free == FreeBytes.Digits) differ |= Vector128.AndNot(Vector128.GreaterThan(v - Vector128.Create((byte)'0'), Vector128.Create((byte)9)), fix);
                else if (free == FreeBytes.NotEscape) differ |= Vector128.AndNot(Vector128.Equals(v, Vector128.Create(EscapeByte)), fix);
                if (at == length - Vector128<byte>.Count) break;
            }
            return differ == Vector128<byte>.Zero;
        }
        for (int i = 0; i < length; i++)
        {
            byte v = Unsafe.Add(ref f, i), fix = Unsafe.Add(ref m, i);
            if (((v ^ Unsafe.Add(ref t, i)) & fix) != 0) return false;
            if (fix == 0 && (free == FreeBytes.Digits ? (uint)(v - '0') > 9 : free == FreeBytes.NotEscape && v == EscapeByte)) return false;
        }
        return true;
    }
}
