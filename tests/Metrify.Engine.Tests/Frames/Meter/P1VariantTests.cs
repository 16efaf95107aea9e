using System.Text;
using Metrify.Engine.Columnar;
using Metrify.Engine.Frames.Meter;
using static Metrify.Engine.Tests.Frames.Meter.MeterHarness;

namespace Metrify.Engine.Tests.Frames.Meter;

/// <summary>Meter variants from docs/reference that have no capture: built here with correct CRCs.</summary>
public class P1VariantTests
{
    /// <summary>A telegram with CRLF line ends and its CRC-16/ARC, printed with <paramref name="crcDigits"/> digits (0: none).</summary>
    public static string Telegram(string header, IEnumerable<string> lines, int crcDigits = 4)
    {
        var body = "/" + header + "\r\n\r\n" + string.Concat(lines.Select(l => l + "\r\n")) + "!";
        if (crcDigits == 0) return body + "\r\n";
        ushort crc = Crc16.Arc(Encoding.ASCII.GetBytes(body));
        string hex = crc.ToString("X4");
        return body + (crcDigits < 4 ? crc.ToString("X") : hex) + "\r\n";
    }

    [Fact]
    public void Crc16_catalogue_check_values()
    {
        var check = "123456789"u8;
        Assert.Equal(0xBB3D, Crc16.Arc(check));
        Assert.Equal(0x906E, Crc16.X25(check));
        Assert.Equal(0x2189, Crc16.Kermit(check));
        // The folded CRC-32 form equals the bitwise CRC-16 definitions at every length (the vector path starts
        // at some length) and alignment.
        var random = new Random(7);
        var data = new byte[1200];
        random.NextBytes(data);
        for (int start = 0; start < 17; start++)
            for (int length = 0; length < 1100; length += 37)
            {
                var span = data.AsSpan(start, length);
                Assert.Equal(Bitwise(span, 0xA001, 0, 0), Crc16.Arc(span));
                Assert.Equal(Bitwise(span, 0x8408, 0xFFFF, 0xFFFF), Crc16.X25(span));
                Assert.Equal(Bitwise(span, 0x8408, 0, 0), Crc16.Kermit(span));
            }
    }

    private static ushort Bitwise(ReadOnlySpan<byte> data, ushort reflectedPoly, ushort init, ushort xorOut)
    {
        ushort crc = init;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++) crc = (ushort)((crc & 1) != 0 ? (crc >> 1) ^ reflectedPoly : crc >> 1);
        }
        return (ushort)(crc ^ xorOut);
    }

    [Fact]
    public void Austrian_wh_and_w_units_are_normalised()
    {
        var d = DecodeText(Telegram(@"EST5\253710000_A", ["1-3:0.2.8(50)", "0-0:1.0.0(230101120000W)", "0-0:96.1.0(4A4B4C)",
            "1-0:1.8.0(006545766*Wh)", "1-0:2.8.0(000000512*Wh)", "1-0:1.7.0(000123*W)", "1-0:2.7.0(000000*W)", "1-0:3.8.0(000001234*varh)"]));
        var r = d.Readings[0];
        Assert.Equal(6545.766, r["import_total_kwh"]);
        Assert.Equal(0.512, r["export_total_kwh"]);
        Assert.Equal(0.123, r["import_power_kw"]);
        Assert.Equal("JKL", r["meter_id"]);
        var q = Assert.Single(d.Register("1-0:3.8.0"));
        Assert.Equal(1.234, q["value"]);
        Assert.Equal("kvarh", q["unit"]);
    }

    [Fact]
    public void Hungarian_unitless_power_factor_and_frequency()
    {
        var r = DecodeText(Telegram(@"SAG5SAG-METER", ["0-0:1.0.0(230101120000W)", "1-0:13.7.0(0.956)", "1-0:14.7.0(50.01*Hz)",
            "1-0:1.8.3(000001.000*kWh)"])).Readings[0];
        Assert.Equal(0.956, r["power_factor"]);
        Assert.Equal(50.01, r["frequency_hz"]);
    }

    [Fact]
    public void Unpadded_crc_is_accepted()
    {
        // Vary a value until the CRC has a leading zero nibble, then print it without padding ("!B9F").
        for (int i = 0; ; i++)
        {
            var lines = new[] { "0-0:1.0.0(230101120000W)", $"1-0:1.8.1({i:D6}.000*kWh)" };
            var full = Telegram("ISK5\\2M550T-1012", lines);
            if (!full.Contains("!0", StringComparison.Ordinal)) continue;
            var unpadded = Telegram("ISK5\\2M550T-1012", lines, crcDigits: 3);
            Assert.DoesNotContain("!0", unpadded, StringComparison.Ordinal);
            var d = DecodeText(unpadded);
            Assert.Equal(1, d.Readings.Count);
            Assert.Equal(0, (int)d.Readings[0]["quality_flags"]!);
            Assert.Equal((double)i, d.Readings[0]["import_t1_kwh"]);
            return;
        }
    }

    [Fact]
    public void Iec_mode_d_with_255_suffixes_and_watts()
    {
        var d = DecodeText(Telegram("ESY5Q3DA1004 V3.04", ["1-0:0.0.0*255(1ESY1313002565)", "1-0:1.8.0*255(00032549.5061662*kWh)",
            "1-0:16.7.0*255(000123.45*W)", "1-0:96.5.5*255(80)", "0-0:96.1.255*255(1ESY1313002565)"], crcDigits: 0));
        var r = d.Readings[0];
        Assert.Equal(32549.5061662, r["import_total_kwh"]);
        Assert.Equal(0.12345, r["import_power_kw"]);
        Assert.Equal(0.0, r["export_power_kw"]);
        Assert.Equal("1ESY1313002565", r["meter_id"]);
        Assert.Equal((int)(QualityFlags.Unverified | QualityFlags.NoMeterClock), r["quality_flags"]);
        Assert.Equal(80.0, Assert.Single(d.Register("1-0:96.5.5"))["value"]);
    }

    [Fact]
    public void Bad_crc_goes_to_quarantine_with_the_raw_telegram()
    {
        var good = Telegram("ISK5\\2M550T-1012", ["0-0:1.0.0(230101120000W)", "1-0:1.8.1(000001.000*kWh)"]);
        var bad = good.Replace("000001.000", "000001.001", StringComparison.Ordinal);
        var d = DecodeText(bad + good);
        Assert.Equal(1, d.Readings.Count);
        var q = Assert.Single(d.Quarantine.Rows);
        Assert.Equal("bad_checksum", q["reason"]);
        Assert.Equal(bad.TrimEnd('\r', '\n'), ((string)q["raw"]!).TrimEnd('\r', '\n'));
        Assert.Contains("CRC-16/ARC", (string)q["detail"]!);
    }

    [Fact]
    public void Noise_between_telegrams_is_skipped_and_counted()
    {
        var t = Telegram("KFM5KAIFA-METER", ["0-0:1.0.0(230101120000W)", "0-0:96.13.0(2F2F2F)", "1-0:1.8.1(000001.000*kWh)"]);
        var input = "garbage\r\n" + t + "\0\r\n\r\n" + "x/y!z\r\n" + t + "\0" + t.TrimEnd('\r', '\n') + t;
        var d = DecodeText(input, chunk: 5);
        Assert.Equal(4, d.Readings.Count); // the third has its next header glued after the CRC
        Assert.Equal(0, d.Quarantine.Count);
        Assert.Equal(2, d.Stats.GarbageRuns);
        Assert.Equal(input.Length, d.Stats.BytesSeen);
        Assert.Equal("///", d.Register("0-0:96.13.0")[0]["text"]);
    }

    [Fact]
    public void A_garbage_run_counts_once_wherever_a_read_ends()
    {
        var t = Telegram("KFM5KAIFA-METER", ["0-0:1.0.0(230101120000W)", "1-0:1.8.1(000001.000*kWh)"]);
        var input = "garbage\r\n" + t + "\0\r\n\r\n" + "x/y!z\r\n" + t;
        for (int cut = 1; cut < input.Length; cut++)
        {
            var d = DecodeSplit(input, cut);
            Assert.True(d.Readings.Count == 2 && d.Stats.GarbageRuns == 2,
                $"cut at {cut}: {d.Readings.Count} readings, {d.Stats.GarbageRuns} garbage runs");
        }
    }

    [Fact]
    public void Oversized_garbage_is_cut_at_the_frame_limit()
    {
        var t = Telegram("KFM5KAIFA-METER", ["0-0:1.0.0(230101120000W)", "1-0:1.8.1(000001.000*kWh)"]);
        var input = "/" + new string('A', 40_000) + "\r\n" + t;
        var d = DecodeText(input);
        Assert.Equal(1, d.Readings.Count);
        var q = Assert.Single(d.Quarantine.Rows);
        Assert.Equal("oversized_record", q["reason"]);
        Assert.Equal(new MeterFrameOptions().MaxFrameBytes, ((string)q["raw"]!).Length);
        Assert.Equal(input.Length, d.Stats.BytesSeen);
    }

    [Theory]
    [InlineData("201025023000S", 2020, 10, 25, 0, 30)] // the repeated October hour, first pass (CEST)
    [InlineData("201025023000W", 2020, 10, 25, 1, 30)] // second pass (CET)
    [InlineData("200329030000s", 2020, 3, 29, 1, 0)]   // lowercase flag (Landis+Gyr)
    [InlineData("230615120000S", 2023, 6, 15, 10, 0)]
    [InlineData("231224120000W", 2023, 12, 24, 11, 0)]
    [InlineData("231224120000", 2023, 12, 24, 11, 0)]  // DSMR 2.2 without flag: EU rule
    [InlineData("230615120000", 2023, 6, 15, 10, 0)]
    public void Timestamps_convert_with_their_flag(string text, int y, int mo, int d, int h, int mi)
    {
        Assert.True(P1Values.TryParseTimestamp(Encoding.ASCII.GetBytes(text), out long utc, out bool sentinel));
        Assert.False(sentinel);
        Assert.Equal(Utc(y, mo, d, h, mi, 0), utc);
    }

    [Theory]
    [InlineData("000101010000W")]
    [InlineData("700101010000W")]
    [InlineData("000000000000W")]
    [InlineData("632525252525S")]
    [InlineData("230230120000W")]
    public void Sentinel_timestamps(string text)
    {
        Assert.True(P1Values.TryParseTimestamp(Encoding.ASCII.GetBytes(text), out _, out bool sentinel));
        Assert.True(sentinel);
    }

    [Theory]
    [InlineData("001234.567", 1234567, 3)]
    [InlineData("-063", -63, 0)]
    [InlineData("0000.89", 89, 2)]
    [InlineData("00032549.5061662", 325495061662, 7)]
    public void Decimals_parse_as_scaled_integers(string text, long mantissa, int decimals)
    {
        Assert.True(P1Values.TryParseDecimal(Encoding.ASCII.GetBytes(text), out long m, out int d));
        Assert.Equal(mantissa, m);
        Assert.Equal(decimals, d);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("-")]
    [InlineData("1.2.3")]
    [InlineData("12a")]
    [InlineData("1234567890123456789")]
    public void Not_decimals(string text) => Assert.False(P1Values.TryParseDecimal(Encoding.ASCII.GetBytes(text), out _, out _));
}
