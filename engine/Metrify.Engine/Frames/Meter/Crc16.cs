using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Metrify.Engine.Frames.Meter;

/// <summary>
/// The reflected CRC-16 variants meters use: ARC (DSMR 4/5 telegrams), X-25 (SML transport and messages) and
/// KERMIT (Holley's SML bug). All three share the reflected polynomial shape, so one slice-by-16 kernel serves them:
/// sixteen 256-entry tables fold sixteen input bytes per step with independent loads, which is what gets a
/// table CRC past 2 GB/s (a byte-at-a-time loop is bound by its 1-byte dependency chain).
/// </summary>
public static class Crc16
{
    private static readonly ushort[] ArcTables = BuildTables(0xA001);
    private static readonly ushort[] CcittTables = BuildTables(0x8408);

    /// <summary>CRC-16/ARC: poly 0x8005 reflected, init 0, no final xor. Check value of "123456789" is 0xBB3D.</summary>
    public static ushort Arc(ReadOnlySpan<byte> data) => Update(ArcTables, 0, data);

    /// <summary>CRC-16/X-25: poly 0x1021 reflected, init 0xFFFF, final xor 0xFFFF. Check value 0x906E.</summary>
    public static ushort X25(ReadOnlySpan<byte> data) => (ushort)~Update(CcittTables, 0xFFFF, data);

    /// <summary>CRC-16/KERMIT: poly 0x1021 reflected, init 0, no final xor. Check value 0x2189.</summary>
    public static ushort Kermit(ReadOnlySpan<byte> data) => Update(CcittTables, 0, data);

    private static ushort[] BuildTables(ushort reflectedPoly)
    {
        var t = new ushort[16 * 256];
        for (int b = 0; b < 256; b++)
        {
            uint crc = (uint)b;
            for (int i = 0; i < 8; i++) crc = (crc & 1) != 0 ? (crc >> 1) ^ reflectedPoly : crc >> 1;
            t[b] = (ushort)crc;
        }
        // Table k advances a byte through k further zero bytes.
        for (int k = 1; k < 16; k++)
            for (int b = 0; b < 256; b++)
            {
                ushort prev = t[(k - 1) * 256 + b];
                t[k * 256 + b] = (ushort)((prev >> 8) ^ t[prev & 0xFF]);
            }
        return t;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ushort Update(ushort[] tables, ushort crc, ReadOnlySpan<byte> data)
    {
        ref ushort t = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(tables);
        ref byte p = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(data);
        nint i = 0, n = data.Length;
        uint c = crc;
        for (; i + 16 <= n; i += 16)
        {
            ulong a = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i));
            ulong b = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i + 8));
            if (!BitConverter.IsLittleEndian) { a = BinaryPrimitives.ReverseEndianness(a); b = BinaryPrimitives.ReverseEndianness(b); }
            a ^= c;
            c = (uint)(
                Unsafe.Add(ref t, 15 * 256 + (int)(a & 0xFF)) ^ Unsafe.Add(ref t, 14 * 256 + (int)((a >> 8) & 0xFF)) ^
                Unsafe.Add(ref t, 13 * 256 + (int)((a >> 16) & 0xFF)) ^ Unsafe.Add(ref t, 12 * 256 + (int)((a >> 24) & 0xFF)) ^
                Unsafe.Add(ref t, 11 * 256 + (int)((a >> 32) & 0xFF)) ^ Unsafe.Add(ref t, 10 * 256 + (int)((a >> 40) & 0xFF)) ^
                Unsafe.Add(ref t, 9 * 256 + (int)((a >> 48) & 0xFF)) ^ Unsafe.Add(ref t, 8 * 256 + (int)(a >> 56)) ^
                Unsafe.Add(ref t, 7 * 256 + (int)(b & 0xFF)) ^ Unsafe.Add(ref t, 6 * 256 + (int)((b >> 8) & 0xFF)) ^
                Unsafe.Add(ref t, 5 * 256 + (int)((b >> 16) & 0xFF)) ^ Unsafe.Add(ref t, 4 * 256 + (int)((b >> 24) & 0xFF)) ^
                Unsafe.Add(ref t, 3 * 256 + (int)((b >> 32) & 0xFF)) ^ Unsafe.Add(ref t, 2 * 256 + (int)((b >> 40) & 0xFF)) ^
                Unsafe.Add(ref t, 1 * 256 + (int)((b >> 48) & 0xFF)) ^ Unsafe.Add(ref t, (int)(b >> 56)));
        }
        for (; i < n; i++) c = (c >> 8) ^ Unsafe.Add(ref t, (int)((c ^ Unsafe.Add(ref p, i)) & 0xFF));
        return (ushort)c;
    }
}
