using System.Runtime.CompilerServices;

namespace Metrify.Engine.Frames.Text;

/// <summary>
/// ISO 8601 / RFC 3339 instants to microseconds since the Unix epoch, UTC, straight from UTF-8 bytes.
/// Accepts <c>YYYY-MM-DD(T| )hh:mm:ss[.f{1,9}][Z|±hh:mm|±hhmm|±hh]</c>, years 0001 to 9999. Digits past microseconds are truncated
/// (floor). A timestamp without an offset is taken as UTC: the lake stores instants, and guessing a local zone
/// would make the same text mean different instants on different machines.
/// </summary>
public static class Utf8Timestamp
{
    public const long MicrosPerSecond = 1_000_000;
    public const long MicrosPerHour = 3_600 * MicrosPerSecond;
    public const long MicrosPerDay = 24 * MicrosPerHour;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseMicros(ReadOnlySpan<byte> s, out long micros)
    {
        micros = 0;
        if (s.Length < 19 || s[4] != (byte)'-' || s[7] != (byte)'-' || (s[10] != (byte)'T' && s[10] != (byte)' ' && s[10] != (byte)'t')
            || s[13] != (byte)':' || s[16] != (byte)':')
            return false;
        if (!Two(s, 0, out int c) || !Two(s, 2, out int yy) || !Two(s, 5, out int month) || !Two(s, 8, out int day)
            || !Two(s, 11, out int hour) || !Two(s, 14, out int minute) || !Two(s, 17, out int second))
            return false;
        int year = c * 100 + yy;
        if (year == 0 || (uint)(month - 1) > 11 || day < 1 || day > DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            return false;

        int i = 19;
        long fraction = 0;
        if (i < s.Length && (s[i] == (byte)'.' || s[i] == (byte)','))
        {
            i++;
            int digits = 0;
            for (; i < s.Length; i++)
            {
                uint d = (uint)(s[i] - '0');
                if (d > 9) break;
                if (digits < 6) fraction = fraction * 10 + d;
                digits++;
            }
            if (digits == 0 || digits > 9) return false;
            for (int k = Math.Min(digits, 6); k < 6; k++) fraction *= 10;
        }

        long offsetSeconds = 0;
        if (i < s.Length)
        {
            byte sign = s[i];
            if (sign is (byte)'Z' or (byte)'z')
            {
                i++;
            }
            else if (sign is (byte)'+' or (byte)'-')
            {
                if (!Two(s, i + 1, out int oh) || oh > 23) return false;
                int om = 0;
                i += 3;
                if (i < s.Length)
                {
                    if (s[i] == (byte)':') i++;
                    if (!Two(s, i, out om) || om > 59) return false;
                    i += 2;
                }
                offsetSeconds = (oh * 3600 + om * 60) * (sign == (byte)'-' ? -1 : 1);
            }
            if (i != s.Length) return false;
        }

        long days = DaysFromCivil(year, month, day);
        long seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds;
        micros = seconds * MicrosPerSecond + fraction;
        return micros >= MinMicros && micros <= MaxMicros; // an offset can push year 1 or 9999 past the calendar
    }

    /// <summary>0001-01-01T00:00:00Z, the first instant the lake (and .NET, and Parquet readers) can hold.</summary>
    public const long MinMicros = -62_135_596_800L * MicrosPerSecond;
    /// <summary>9999-12-31T23:59:59.999999Z.</summary>
    public const long MaxMicros = 253_402_300_799L * MicrosPerSecond + 999_999;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Two(ReadOnlySpan<byte> s, int at, out int value)
    {
        if ((uint)(at + 1) >= (uint)s.Length) { value = 0; return false; }
        uint a = (uint)(s[at] - '0'), b = (uint)(s[at + 1] - '0');
        value = (int)(a * 10 + b);
        return a <= 9 && b <= 9;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DaysInMonth(int year, int month) => month switch
    {
        2 => (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28,
        4 or 6 or 9 or 11 => 30,
        _ => 31,
    };

    /// <summary>Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long DaysFromCivil(int year, int month, int day)
    {
        year -= month <= 2 ? 1 : 0;
        long era = (year >= 0 ? year : year - 399) / 400;
        long yoe = year - era * 400;
        long doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146_097 + doe - 719_468;
    }

    /// <summary>Writes <c>YYYY-MM-DDThh:mm:ss[.ffffff]Z</c>; returns the bytes written (20 or 27), 0 if it does not fit.</summary>
    public static int Format(long micros, Span<byte> destination, bool alwaysFraction = false)
    {
        var dt = DateTime.UnixEpoch.AddTicks(micros * 10);
        long frac = micros % MicrosPerSecond;
        if (frac < 0) frac += MicrosPerSecond;
        int len = frac != 0 || alwaysFraction ? 27 : 20;
        if (destination.Length < len) return 0;
        Write4(destination, 0, dt.Year); destination[4] = (byte)'-';
        Write2(destination, 5, dt.Month); destination[7] = (byte)'-';
        Write2(destination, 8, dt.Day); destination[10] = (byte)'T';
        Write2(destination, 11, dt.Hour); destination[13] = (byte)':';
        Write2(destination, 14, dt.Minute); destination[16] = (byte)':';
        Write2(destination, 17, dt.Second);
        if (len == 27)
        {
            destination[19] = (byte)'.';
            for (int k = 25; k >= 20; k--) { destination[k] = (byte)('0' + frac % 10); frac /= 10; }
        }
        destination[len - 1] = (byte)'Z';
        return len;
    }

    private static void Write2(Span<byte> d, int at, int v) { d[at] = (byte)('0' + v / 10); d[at + 1] = (byte)('0' + v % 10); }
    private static void Write4(Span<byte> d, int at, int v) { Write2(d, at, v / 100); Write2(d, at + 2, v % 100); }
}
