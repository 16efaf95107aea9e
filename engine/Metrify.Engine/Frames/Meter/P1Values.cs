using System.Runtime.CompilerServices;
using Metrify.Engine.Frames.Text;

namespace Metrify.Engine.Frames.Meter;

/// <summary>The value syntaxes of P1 / IEC 62056-21 text: fixed-point numbers, local timestamps and hex strings.</summary>
public static class P1Values
{
    /// <summary>
    /// Parses a fixed-point decimal ("001234.567", "-063", "0000.89") into a scaled integer: value = mantissa / 10^decimals.
    /// No floating point is involved; up to 18 significant digits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseDecimal(ReadOnlySpan<byte> text, out long mantissa, out int decimals)
    {
        mantissa = 0;
        decimals = 0;
        int i = 0;
        bool negative = false;
        if (text.Length > 0 && (text[0] == '-' || text[0] == '+')) { negative = text[0] == '-'; i = 1; }
        int digits = 0, point = -1;
        bool anyDigit = false;
        long m = 0;
        for (; i < text.Length; i++)
        {
            uint d = (uint)(text[i] - '0');
            if (d <= 9)
            {
                anyDigit = true;
                if (m != 0 || d != 0) { if (++digits > 18) return false; }
                m = m * 10 + d;
                continue;
            }
            if (text[i] != '.' || point >= 0) return false;
            point = i;
        }
        if (!anyDigit) return false;
        decimals = point < 0 ? 0 : text.Length - 1 - point;
        mantissa = negative ? -m : m;
        return true;
    }

    private static readonly double[] PowersOfTen = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

    /// <summary>mantissa × 10^-exponent, correctly rounded (one IEEE division of exact operands).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Scale(long mantissa, int exponent) =>
        exponent >= 0 ? mantissa / PowersOfTen[Math.Min(exponent, 22)] : mantissa * PowersOfTen[Math.Min(-exponent, 22)];

    /// <summary>
    /// Parses a P1 timestamp "YYMMDDhhmmssX" (X = S summer, W winter, either case) or the flag-less 12-digit form of
    /// DSMR 2.2/3.0, to UTC microseconds. The flag decides the offset (W = UTC+1, S = UTC+2), which makes the repeated
    /// October hour unambiguous; without a flag the EU summer-time rule decides. Returns false when the text is not
    /// shaped like a timestamp. <paramref name="sentinel"/> is set (and the instant is 0) for the values meters send
    /// when their clock is unset or the slot is empty: year 00 (2000, clock never set), 1970-01-01, all zeros and the
    /// "not specified" 632525252525 pattern, and any impossible date.
    /// </summary>
    public static bool TryParseTimestamp(ReadOnlySpan<byte> text, out long utcMicros, out bool sentinel)
    {
        utcMicros = 0;
        sentinel = false;
        if (text.Length is not (12 or 13)) return false;
        int offsetHours = 0;
        if (text.Length == 13)
        {
            byte flag = (byte)(text[12] | 0x20);
            if (flag == 's') offsetHours = 2;
            else if (flag == 'w') offsetHours = 1;
            else return false;
        }
        int yy = Pair(text, 0), month = Pair(text, 2), day = Pair(text, 4), hour = Pair(text, 6), minute = Pair(text, 8), second = Pair(text, 10);
        if ((yy | month | day | hour | minute | second) < 0) return false;
        int year = 2000 + yy;
        if (yy == 0 || (yy == 70 && month == 1 && day == 1) || month is < 1 or > 12 || day < 1 ||
            day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            sentinel = true;
            return true;
        }
        long local = (Utf8Timestamp.DaysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second) * Utf8Timestamp.MicrosPerSecond;
        if (offsetHours == 0) offsetHours = IsEuSummerTime(local - 2 * Utf8Timestamp.MicrosPerHour, year) ? 2 : 1;
        utcMicros = local - offsetHours * Utf8Timestamp.MicrosPerHour;
        return true;
    }

    /// <summary>
    /// A meter's clock stays on one day for thousands of telegrams, so the start of the last day seen (in UTC, for its
    /// S/W flag) is kept and only the time of day is read while the date and flag repeat. Gives exactly what
    /// <see cref="TryParseTimestamp"/> gives.
    /// </summary>
    public struct DayCache
    {
        private ulong _key;
        private long _dayStart;

        public bool TryParse(ReadOnlySpan<byte> text, out long utcMicros, out bool sentinel)
        {
            ulong key = 0;
            if (text.Length == 13)
            {
                key = (System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(text) & 0xFFFF_FFFF_FFFFUL) | (ulong)text[12] << 56;
                if (key == _key)
                {
                    int hour = Pair(text, 6), minute = Pair(text, 8), second = Pair(text, 10);
                    if ((uint)hour <= 23 && (uint)minute <= 59 && (uint)second <= 59)
                    {
                        utcMicros = _dayStart + (hour * 3600 + minute * 60 + second) * Utf8Timestamp.MicrosPerSecond;
                        sentinel = false;
                        return true;
                    }
                }
            }
            if (!TryParseTimestamp(text, out utcMicros, out sentinel)) return false;
            if (key != 0 && !sentinel)
            {
                _key = key;
                _dayStart = utcMicros - (Pair(text, 6) * 3600 + Pair(text, 8) * 60 + Pair(text, 10)) * Utf8Timestamp.MicrosPerSecond;
            }
            return true;
        }
    }

    /// <summary>Writes a UTC instant as a P1 timestamp "YYMMDDhhmmssX" in Dutch/Belgian local time (13 bytes).</summary>
    public static void FormatTimestamp(long utcMicros, Span<byte> destination)
    {
        var utc = DateTime.UnixEpoch.AddTicks(utcMicros * 10);
        bool summer = IsEuSummerTime(utcMicros, utc.Year);
        var local = utc.AddHours(summer ? 2 : 1);
        Span<int> f = [local.Year % 100, local.Month, local.Day, local.Hour, local.Minute, local.Second];
        for (int k = 0; k < 6; k++)
        {
            destination[2 * k] = (byte)('0' + f[k] / 10);
            destination[2 * k + 1] = (byte)('0' + f[k] % 10);
        }
        destination[12] = summer ? (byte)'S' : (byte)'W';
    }

    /// <summary>The two digits at <paramref name="at"/> as a number, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Pair(ReadOnlySpan<byte> text, int at)
    {
        uint hi = (uint)(text[at] - '0'), lo = (uint)(text[at + 1] - '0');
        return hi > 9 || lo > 9 ? -1 : (int)(hi * 10 + lo);
    }

    /// <summary>EU rule since 1996: summer time from the last Sunday of March to the last Sunday of October, 01:00 UTC.</summary>
    private static bool IsEuSummerTime(long utcMicros, int year)
    {
        long start = (LastSunday(year, 3) * 86_400 + 3600) * Utf8Timestamp.MicrosPerSecond;
        long end = (LastSunday(year, 10) * 86_400 + 3600) * Utf8Timestamp.MicrosPerSecond;
        return utcMicros >= start && utcMicros < end;
    }

    private static long LastSunday(int year, int month)
    {
        long last = Utf8Timestamp.DaysFromCivil(year, month, 31);
        long weekday = (last + 4) % 7; // 1970-01-01 was a Thursday (4); 0 = Sunday
        if (weekday < 0) weekday += 7;
        return last - weekday;
    }

    /// <summary>
    /// P1 sends ids and messages as hex-encoded octet strings. Decodes into <paramref name="destination"/> when the
    /// text is even-length hex that decodes to printable ASCII; returns the decoded length, or -1.
    /// </summary>
    public static int TryDecodeHexText(ReadOnlySpan<byte> hex, Span<byte> destination)
    {
        if (hex.IsEmpty || (hex.Length & 1) != 0 || hex.Length / 2 > destination.Length) return -1;
        // The BCL's decoder is vectorised; a failed decode may have written part of the destination, which is scratch.
        if (Convert.FromHexString(hex, destination, out _, out int written) != System.Buffers.OperationStatus.Done
            || destination[..written].ContainsAnyExceptInRange((byte)0x20, (byte)0x7E)) return -1;
        return written;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int HexValue(byte c)
    {
        uint d = (uint)(c - '0');
        if (d <= 9) return (int)d;
        uint l = (uint)((c | 0x20) - 'a');
        return l <= 5 ? (int)l + 10 : -1;
    }
}
