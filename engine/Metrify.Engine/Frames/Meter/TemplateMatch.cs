using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Metrify.Engine.Frames.Meter;

/// <summary>
/// The one test both frame templates make: a frame equals its template in every fixed byte (mask 0xFF), and, for P1,
/// holds a digit in every free byte (mask 0). Vectorised at the widest width the machine has (so on ARM's 128-bit
/// vectors too), with the last block overlapping the one before; scalar below one vector.
/// </summary>
internal static class TemplateMatch
{
    public static bool Matches(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> template, ReadOnlySpan<byte> fixedMask, bool digitsWhereFree)
    {
        int length = frame.Length;
        if (template.Length < length || fixedMask.Length < length) return false;
        ref byte f = ref MemoryMarshal.GetReference(frame);
        ref byte t = ref MemoryMarshal.GetReference(template);
        ref byte m = ref MemoryMarshal.GetReference(fixedMask);
        if (Vector256.IsHardwareAccelerated && length >= Vector256<byte>.Count)
        {
            var differ = Vector256<byte>.Zero;
            for (int at = 0; ; at += Vector256<byte>.Count)
            {
                if (at > length - Vector256<byte>.Count) at = length - Vector256<byte>.Count;
                var v = Vector256.LoadUnsafe(ref f, (nuint)at);
                var fix = Vector256.LoadUnsafe(ref m, (nuint)at);
                differ |= (v ^ Vector256.LoadUnsafe(ref t, (nuint)at)) & fix;
                if (digitsWhereFree) differ |= Vector256.AndNot(Vector256.GreaterThan(v - Vector256.Create((byte)'0'), Vector256.Create((byte)9)), fix);
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
                if (digitsWhereFree) differ |= Vector128.AndNot(Vector128.GreaterThan(v - Vector128.Create((byte)'0'), Vector128.Create((byte)9)), fix);
                if (at == length - Vector128<byte>.Count) break;
            }
            return differ == Vector128<byte>.Zero;
        }
        for (int i = 0; i < length; i++)
        {
            byte v = Unsafe.Add(ref f, i), fix = Unsafe.Add(ref m, i);
            if (((v ^ Unsafe.Add(ref t, i)) & fix) != 0) return false;
            if (digitsWhereFree && fix == 0 && (uint)(v - '0') > 9) return false;
        }
        return true;
    }
}
