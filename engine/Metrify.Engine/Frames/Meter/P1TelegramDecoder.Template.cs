using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Metrify.Engine.Frames.Meter;

public sealed partial class P1TelegramDecoder
{
    // A meter sends the same telegram every time except for its digits: the OBIS ids, units, line breaks and
    // parentheses repeat byte for byte, and DSMR pads numbers to a fixed width. So the last split telegram is kept
    // as a template: its bytes, and which of them are free (the digits of a value, before its '*' or ')'). A
    // telegram equal to it in every other byte, with digits in all the free ones, splits exactly as the template did
    // (the split only looks at '(', ')', '*', line feeds and the ids, all fixed), so the template's split stands, and
    // so do the layouts of its numbers: where their digits and point are, and their unit.
    private readonly FrameTemplate _template = new();
    private int _templateHeaderEnd;
    private int[] _heads = new int[8]; // the values that name the meter or carry its clock, which every row needs first
    private int _headCount;

    private bool _templateFrames; // no '/' or '!' after the template's first byte: see FrameFromTemplate

    /// <summary>
    /// Frames the telegram at the start of <paramref name="data"/> by the template: when the template matches the
    /// bytes up to its '!', every '/', '!' and line feed in them is where it was in the template, so the framer would
    /// stop at the same '!' (the template has no other '/' or '!' after its first byte); only the end after it is
    /// read. Null when the template does not match: the caller then scans. Saves the framer's scan of every byte.
    /// </summary>
    internal FrameScan? FrameFromTemplate(ReadOnlySpan<byte> data, bool isFinal, int maxFrameBytes)
    {
        int bang = _template.Length;
        if (!_templateFrames || bang <= 1 || bang >= data.Length || bang >= maxFrameBytes || data[bang] != '!' || data[bang - 1] != '\n'
            || !_template.Matches(data[..bang], FrameTemplate.FreeBytes.Digits))
            return null;
        return P1Framer.EndAt(data, bang, isFinal, maxFrameBytes) is { Kind: FrameScanKind.Frame } end ? end with { Matched = true } : null;
    }

    /// <summary>True when the telegram matches the template, whose split (values, header end) then stands.</summary>
    private bool MatchesTemplate(ReadOnlySpan<byte> t, int bang) => _template.Matches(t[..bang], FrameTemplate.FreeBytes.Digits);

    /// <summary>Makes the telegram just split the template (its bytes up to the '!', the digits of each value closed
    /// by ')' marked free), and records the layout of every value that is a plain number and where the id and clock are.</summary>
    private void RememberTemplate(ReadOnlySpan<byte> t, int bang, int headerEnd)
    {
        _template.Take(t[..bang]);
        _templateHeaderEnd = headerEnd;
        _templateFrames = bang > 1 && t[0] == '/' && t[1..bang].IndexOfAny((byte)'/', (byte)'!') < 0;
        _headCount = 0;
        for (int i = 0; i < _count; i++)
        {
            ref var v = ref _values[i];
            Layout(ref v, t);
            if (v.Unparsed) continue;
            if (v.Index == 0 && v.Class.Role is (Role.Identity or Role.Clock))
            {
                if (_headCount == _heads.Length) Array.Resize(ref _heads, _heads.Length * 2);
                _heads[_headCount++] = i;
            }
            if (v.Start + v.Length >= bang || t[v.Start + v.Length] != ')') continue;
            for (int k = v.Start, end = v.Start + (v.Star >= 0 ? v.Star : v.Length); k < end; k++)
                if (char.IsAsciiDigit((char)t[k])) _template.Free(k, 1);
        }
    }

    /// <summary>
    /// Records whether a value is a plain number ([-]digits[.digits], at most 18 digits, with or without a unit) and
    /// where its digits are, and its unit normalised. Only the digits change while the template matches, so the
    /// number is then read straight from its digit positions (<see cref="FastNumber"/>), with what
    /// <see cref="TryNumber(ReadOnlySpan{byte}, int, out double, out MeterUnit)"/> would give.
    /// </summary>
    private static void Layout(ref Value v, ReadOnlySpan<byte> t)
    {
        v.Number = false;
        v.PlainText = v.NeverNumber = false;
        if (v.Unparsed) return;
        ClassifyText(ref v, t.Slice(v.Start, v.Length));
        if (v.Start < 8) return;
        var text = t.Slice(v.Start, v.Star >= 0 ? v.Star : v.Length);
        int sign = text.Length > 0 && text[0] == '-' ? 1 : 0;
        int point = text.IndexOf((byte)'.');
        int intEnd = point < 0 ? text.Length : point;
        int fracDigits = point < 0 ? 0 : text.Length - point - 1;
        int intDigits = intEnd - sign;
        if (intDigits is < 1 or > 16 || fracDigits > 16 || intDigits + fracDigits > 18
            || text[sign..intEnd].ContainsAnyExceptInRange((byte)'0', (byte)'9')
            || (point >= 0 && text[(point + 1)..].ContainsAnyExceptInRange((byte)'0', (byte)'9'))) return;
        var unit = v.Star < 0 ? MeterUnit.None : MeterUnits.ParseText(t.Slice(v.Start + v.Star + 1, v.Length - v.Star - 1));
        v.Unit = MeterUnits.Normalise(unit, out int exponent);
        v.Number = true;
        v.Negative = sign == 1;
        v.IntEnd = v.Start + intEnd;
        v.IntDigits = (byte)intDigits;
        v.FracDigits = (byte)fracDigits;
        v.Exponent = (byte)(fracDigits + exponent);
    }

    /// <summary>
    /// Records what a value can never be, whatever its free digits: a number (a byte other than a digit, '.' or a sign
    /// before the unit, or no bytes), a P1 timestamp (not 12 digits and an optional S/W) or hex text (odd length or
    /// a byte that is not a hex digit). Those bytes are fixed while the template matches, so
    /// <see cref="EmitRegister"/> need not try them per telegram; what only the digits decide is still parsed.
    /// </summary>
    private static void ClassifyText(ref Value v, ReadOnlySpan<byte> text)
    {
        var number = v.Star >= 0 ? text[..v.Star] : text;
        v.NeverNumber = number.IsEmpty || number.IndexOfAnyExcept("0123456789.+-"u8) >= 0;
        bool neverTime = text.Length is not (12 or 13) || text[..12].ContainsAnyExceptInRange((byte)'0', (byte)'9')
            || (text.Length == 13 && (text[12] | 0x20) is not ('s' or 'w'));
        bool neverHex = text.IsEmpty || (text.Length & 1) != 0 || text.ContainsAnyExcept("0123456789abcdefABCDEF"u8);
        v.PlainText = v.NeverNumber && neverTime && neverHex;
    }

    /// <summary>The number whose layout <see cref="Layout"/> recorded, read from its digit positions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double FastNumber(in Value v, ReadOnlySpan<byte> t)
    {
        ref byte p = ref MemoryMarshal.GetReference(t);
        long m = (long)Digits(ref p, v.IntEnd, v.IntDigits);
        if (v.FracDigits > 0) m = m * Pow10[v.FracDigits] + (long)Digits(ref p, v.IntEnd + 1 + v.FracDigits, v.FracDigits);
        return P1Values.Scale(v.Negative ? -m : m, v.Exponent);
    }

    private static readonly long[] Pow10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000,
        1_000_000_000, 10_000_000_000, 100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000,
        1_000_000_000_000_000, 10_000_000_000_000_000];

    /// <summary>The n (1 to 16) decimal digits ending before <paramref name="end"/>, eight at a time as one word (SWAR).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Digits(ref byte p, int end, int n) =>
        n <= 8 ? EightDigits(ref p, end, n) : EightDigits(ref p, end - 8, n - 8) * 100_000_000 + EightDigits(ref p, end, 8);

    /// <summary>
    /// The n (1 to 8) digits ending before <paramref name="end"/>: the 8 bytes before it are loaded as a word (the first
    /// digit lowest), the bytes before the digits cleared (leading zeros), then pairs, quads and the whole are
    /// combined by three multiplies. The caller guarantees 8 readable bytes before <paramref name="end"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong EightDigits(ref byte p, int end, int n)
    {
        ulong x = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, end - 8));
        if (!BitConverter.IsLittleEndian) x = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(x);
        x = (x ^ 0x3030303030303030UL) & (~0UL << (8 * (8 - n)));
        x = (x * 10 + (x >> 8)) & 0x00FF00FF00FF00FFUL;
        x = (x * 100 + (x >> 16)) & 0x0000FFFF0000FFFFUL;
        return (x * 10_000 + (x >> 32)) & 0xFFFFFFFFUL;
    }
}
