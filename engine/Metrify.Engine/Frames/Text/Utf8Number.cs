using System.Globalization;
using System.Runtime.CompilerServices;

namespace Metrify.Engine.Frames.Text;

/// <summary>
/// Decimal text to <see cref="double"/> without going through strings. Up to 15 significant digits (every reading
/// a meter sends) the digits are read as one scaled integer and divided by an exact power of ten, which IEEE
/// division rounds correctly (Clinger's fast path); longer or exotic numbers fall back to the BCL's UTF-8 parser.
/// </summary>
public static class Utf8Number
{
    private static readonly double[] PowersOf10 =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// <summary>Parses <c>[+-]digits[.digits][(e|E)[+-]digits]</c>; false for anything else, including NaN and infinity.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseDouble(ReadOnlySpan<byte> text, out double value)
    {
        int i = 0, n = text.Length;
        bool negative = false;
        if (n != 0 && (text[0] == (byte)'-' || text[0] == (byte)'+'))
        {
            negative = text[0] == (byte)'-';
            i = 1;
        }
        ulong mantissa = 0;
        int digits = 0, fractionDigits = 0;
        for (; i < n; i++)
        {
            uint d = (uint)(text[i] - '0');
            if (d > 9) break;
            mantissa = mantissa * 10 + d;
            digits++;
        }
        if (i < n && text[i] == (byte)'.')
        {
            i++;
            for (; i < n; i++)
            {
                uint d = (uint)(text[i] - '0');
                if (d > 9) break;
                mantissa = mantissa * 10 + d;
                digits++;
                fractionDigits++;
            }
        }
        if (i != n || digits > 15)
            return SlowPath(text, out value);
        if (digits == 0)
        {
            value = 0;
            return false;
        }
        double result = mantissa;
        if (fractionDigits != 0) result /= PowersOf10[fractionDigits];
        value = negative ? -result : result;
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool SlowPath(ReadOnlySpan<byte> text, out double value)
    {
        // Only plain decimal and exponent notation are meter values; "NaN", "∞", hex and spaces are not.
        foreach (byte b in text)
        {
            if (!((uint)(b - '0') <= 9 || b is (byte)'.' or (byte)'-' or (byte)'+' or (byte)'e' or (byte)'E'))
            {
                value = 0;
                return false;
            }
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }

    /// <summary>Parses an optionally signed decimal integer that fits in 32 bits.</summary>
    public static bool TryParseInt32(ReadOnlySpan<byte> text, out int value)
    {
        int i = 0;
        bool negative = false;
        if (text.Length != 0 && (text[0] == (byte)'-' || text[0] == (byte)'+'))
        {
            negative = text[0] == (byte)'-';
            i = 1;
        }
        if (i == text.Length || text.Length - i > 10) { value = 0; return false; }
        long acc = 0;
        for (; i < text.Length; i++)
        {
            uint d = (uint)(text[i] - '0');
            if (d > 9) { value = 0; return false; }
            acc = acc * 10 + d;
        }
        if (negative) acc = -acc;
        if (acc is < int.MinValue or > int.MaxValue) { value = 0; return false; }
        value = (int)acc;
        return true;
    }
}
