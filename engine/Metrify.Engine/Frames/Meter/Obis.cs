using System.Runtime.CompilerServices;

namespace Metrify.Engine.Frames.Meter;

/// <summary>
/// An OBIS code A-B:C.D.E*F packed into one integer (A in the high byte), so that frame decoders switch on it like
/// a number. Text telegrams omit F, which is then 255, as in the binary codes SML carries.
/// </summary>
public readonly record struct Obis(ulong Value)
{
    public static Obis Of(byte a, byte b, byte c, byte d, byte e, byte f = 255) =>
        new(((ulong)a << 40) | ((ulong)b << 32) | ((ulong)c << 24) | ((ulong)d << 16) | ((ulong)e << 8) | f);

    /// <summary>The six bytes as SML sends them (01 00 01 08 00 FF).</summary>
    public static Obis FromBytes(ReadOnlySpan<byte> six) => Of(six[0], six[1], six[2], six[3], six[4], six[5]);

    public byte A => (byte)(Value >> 40);
    public byte B => (byte)(Value >> 32);
    public byte C => (byte)(Value >> 24);
    public byte D => (byte)(Value >> 16);
    public byte E => (byte)(Value >> 8);
    public byte F => (byte)Value;

    /// <summary>C.D.E only, for matching a quantity regardless of medium, channel and F.</summary>
    public uint Cde => (uint)(Value >> 8) & 0xFFFFFF;

    public static uint CdeOf(byte c, byte d, byte e) => ((uint)c << 16) | ((uint)d << 8) | e;

    /// <summary>
    /// Parses the OBIS id at the start of a P1/IEC line ("1-0:1.8.1", "0-1:24.2.1", "1-0:1.8.0*255", "1-0:31.7.0.255",
    /// and the spec typos "1-0:99:97.0") up to the first '('. Returns the bytes consumed, or 0 when the text is not an
    /// id. <paramref name="canonical"/> says the text is already in the form <see cref="Format"/> writes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int TryParseText(ReadOnlySpan<byte> line, out Obis obis, out bool canonical)
    {
        obis = default;
        canonical = false;
        ulong packed = 0;
        uint separators = 0;
        int n = 0, count = 0, i = 0;
        bool digits = false;
        for (; i < line.Length; i++)
        {
            byte ch = line[i];
            uint d = (uint)(ch - '0');
            if (d <= 9)
            {
                n = n * 10 + (int)d;
                if (n > 255) return 0;
                digits = true;
                continue;
            }
            if (ch == '(') break;
            uint code = ch switch { (byte)'-' => 0u, (byte)':' => 1u, (byte)'.' => 2u, (byte)'*' => 3u, _ => 4u };
            if (!digits || count == 5 || code == 4) return 0;
            separators |= code << (2 * count);
            packed = (packed << 8) | (uint)n;
            count++;
            n = 0;
            digits = false;
        }
        if (!digits || i >= line.Length || count < 4) return 0;
        packed = (packed << 8) | (uint)n;
        if (count == 4)
        {
            packed = (packed << 8) | 255;
            canonical = separators == (0u | 1u << 2 | 2u << 4 | 2u << 6); // "-:.."
        }
        obis = new Obis(packed);
        return i;
    }

    public static int TryParseText(ReadOnlySpan<byte> line, out Obis obis) => TryParseText(line, out obis, out _);

    /// <summary>Writes "A-B:C.D.E" (and "*F" unless F is 255) as UTF-8; returns the length.</summary>
    public int Format(Span<byte> destination)
    {
        int at = 0;
        at += Write(destination[at..], A); destination[at++] = (byte)'-';
        at += Write(destination[at..], B); destination[at++] = (byte)':';
        at += Write(destination[at..], C); destination[at++] = (byte)'.';
        at += Write(destination[at..], D); destination[at++] = (byte)'.';
        at += Write(destination[at..], E);
        if (F != 255) { destination[at++] = (byte)'*'; at += Write(destination[at..], F); }
        return at;
    }

    private static int Write(Span<byte> d, byte v)
    {
        if (v >= 100) { d[0] = (byte)('0' + v / 100); d[1] = (byte)('0' + v / 10 % 10); d[2] = (byte)('0' + v % 10); return 3; }
        if (v >= 10) { d[0] = (byte)('0' + v / 10); d[1] = (byte)('0' + v % 10); return 2; }
        d[0] = (byte)('0' + v);
        return 1;
    }

    public override string ToString()
    {
        Span<byte> b = stackalloc byte[24];
        return System.Text.Encoding.ASCII.GetString(b[..Format(b)]);
    }
}

/// <summary>
/// The text form of OBIS ids, formatted once: a meter sends the same few dozen ids in every frame, so a small
/// direct-mapped cache turns formatting into a lookup. Not thread-safe; one per decoder.
/// </summary>
public sealed class ObisTextCache
{
    private readonly ulong[] _keys = new ulong[256];
    private readonly byte[] _text = new byte[256 * 24];
    private readonly byte[] _lengths = new byte[256];

    public ReadOnlySpan<byte> Get(Obis obis)
    {
        int slot = (int)((obis.Value * 0x9E3779B97F4A7C15UL) >> 56);
        var text = _text.AsSpan(slot * 24, 24);
        if (_keys[slot] != obis.Value + 1) // +1: an all-zero id must not match an empty slot
        {
            _lengths[slot] = (byte)obis.Format(text);
            _keys[slot] = obis.Value + 1;
        }
        return text[.._lengths[slot]];
    }
}
