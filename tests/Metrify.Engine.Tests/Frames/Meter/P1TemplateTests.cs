using System.Text;
using Metrify.Engine.Frames.Meter;
using static Metrify.Engine.Tests.Frames.Meter.MeterHarness;

namespace Metrify.Engine.Tests.Frames.Meter;

/// <summary>
/// The P1 decoder reuses the split of the last telegram when the next one differs only in digits (its template),
/// and keeps the day of the last clock. Whatever it reuses, a telegram must decode exactly as it does alone.
/// </summary>
public class P1TemplateTests
{
    [Fact]
    public void A_telegram_decodes_in_a_stream_exactly_as_alone_whatever_changed_since_the_last()
    {
        var telegrams = Telegrams(Encoding.ASCII.GetString(Capture("streams/dsmr5-basjes-stream.txt"))).Take(80).ToList();
        var random = new Random(11);
        var sequence = new List<string>();
        foreach (var t in telegrams)
        {
            sequence.Add(t);
            sequence.Add(Mutate(t, random));
            sequence.Add(Mutate(t, random));
        }

        var together = DecodeText(string.Concat(sequence));
        var alone = sequence.Select(t => DecodeText(t)).ToList();
        Assert.Equal(sequence.Count, together.Stats.FramesAccepted + together.Stats.FramesQuarantined);
        AssertSameRows(alone.SelectMany(d => d.Readings.Rows), together.Readings.Rows);
        AssertSameRows(alone.SelectMany(d => d.Registers.Rows), together.Registers.Rows);
        AssertSameRows(alone.SelectMany(d => d.Gas.Rows), together.Gas.Rows);
        Assert.Equal(alone.Sum(d => d.Quarantine.Count), together.Quarantine.Count);
        // The mutations changed values: the stream is not the same telegram over and over.
        Assert.True(together.Readings.Rows.Select(r => r["import_power_kw"]).Distinct().Count() > 20);
    }

    [Theory]
    [InlineData(20, "truncated_frame")]  // cut in the header
    [InlineData(400, "truncated_frame")] // cut in a value
    [InlineData(-9, "truncated_frame")]  // cut before the '!'
    [InlineData(-5, "bad_checksum")]     // cut in the CRC: the next header ends it, as a glued telegram
    public void A_cut_off_telegram_between_two_the_template_fits_is_quarantined_and_the_next_decoded(int cutAt, string reason)
    {
        var t = Telegrams(Encoding.ASCII.GetString(Capture("streams/dsmr5-basjes-stream.txt"))).Take(3).ToList();
        string cut = t[1][..(cutAt < 0 ? t[1].Length + cutAt : cutAt)];
        foreach (int chunk in new[] { 4096, 97 })
        {
            var d = DecodeText(t[0] + cut + t[1] + t[2], chunk);
            Assert.Equal(3, d.Stats.FramesAccepted);
            Assert.Equal(reason, Assert.Single(d.Quarantine.Rows)["reason"]);
            AssertSameRows(t.SelectMany(x => DecodeText(x).Readings.Rows), d.Readings.Rows);
        }
    }

    [Fact]
    public void A_changed_id_or_unit_of_the_same_length_is_not_taken_from_the_template()
    {
        string first = P1VariantTests.Telegram(@"ISK5\2M550T-1012", ["0-0:1.0.0(230101120000W)", "0-0:96.1.1(4A4B4C)",
            "1-0:1.8.1(000100.000*kWh)", "1-0:1.7.0(00.500*kW)"]);
        string second = P1VariantTests.Telegram(@"ISK5\2M550T-1012", ["0-0:1.0.0(230101120010W)", "0-0:96.1.1(4A4B4D)",
            "1-0:1.8.2(000200.000*kWh)", "1-0:1.7.0(00500.*W)"]);
        var d = DecodeText(first + second);
        Assert.Equal(2, d.Readings.Count);
        Assert.Equal(100.0, d.Readings[0]["import_t1_kwh"]);
        Assert.Equal("JKM", d.Readings[1]["meter_id"]);
        Assert.Null(d.Readings[1]["import_t1_kwh"]);
        Assert.Equal(200.0, d.Readings[1]["import_t2_kwh"]);
        Assert.Equal(0.5, d.Readings[1]["import_power_kw"]);
        Assert.Equal(Utc(2023, 1, 1, 11, 0, 10), d.Readings[1]["reading_timestamp"]);
    }

    [Fact]
    public void The_day_cache_gives_what_the_full_parse_gives()
    {
        var days = new P1Values.DayCache();
        var random = new Random(5);
        string[] samples = ["201025023000S", "201025023000W", "201025013000S", "201025235959W", "201025240000W", "201025236000W",
            "201026000000W", "000101010000W", "230230120000W", "230615120000", "230615120000S", "230615120001s"];
        for (int i = 0; i < 2000; i++)
        {
            string text = random.Next(4) == 0 ? samples[random.Next(samples.Length)]
                : $"2010{random.Next(24, 27):D2}{random.Next(0, 26):D2}{random.Next(0, 61):D2}{random.Next(0, 61):D2}{(random.Next(2) == 0 ? 'S' : 'W')}";
            var bytes = Encoding.ASCII.GetBytes(text);
            bool full = P1Values.TryParseTimestamp(bytes, out long expected, out bool expectedSentinel);
            Assert.Equal(full, days.TryParse(bytes, out long utc, out bool sentinel));
            Assert.Equal((expected, expectedSentinel), (utc, sentinel));
        }
    }

    [Theory]
    [InlineData("4A4B4C", "JKL")]
    [InlineData("4a4b4c", "JKL")]
    [InlineData("00", null)]   // decodes to a control character: not text
    [InlineData("4G", null)]
    [InlineData("4A4", null)]
    [InlineData("", null)]
    public void Hex_text_decodes_only_to_printable_ascii(string hex, string? text)
    {
        var buffer = new byte[16];
        int n = P1Values.TryDecodeHexText(Encoding.ASCII.GetBytes(hex), buffer);
        Assert.Equal(text, n < 0 ? null : Encoding.ASCII.GetString(buffer, 0, n));
    }

    /// <summary>The whole telegrams of a capture (it starts and ends mid-telegram).</summary>
    private static IEnumerable<string> Telegrams(string capture)
    {
        int start = capture.IndexOf("\r\n/", StringComparison.Ordinal) + 2;
        while (true)
        {
            int bang = capture.IndexOf('!', start);
            int end = bang < 0 ? -1 : capture.IndexOf("\r\n", bang, StringComparison.Ordinal);
            if (end < 0) yield break;
            yield return capture[start..(end + 2)];
            start = end + 2;
        }
    }

    /// <summary>The telegram with one change and a correct CRC: a digit of a value changed to another digit (the
    /// template still fits), to a character that changes the structure or the number, or a fixed byte changed, or a
    /// value made longer. The clock line is left alone (a telegram without a clock takes the stream's last one).</summary>
    private static string Mutate(string telegram, Random random)
    {
        var body = new StringBuilder(telegram[..(telegram.IndexOf('!') + 1)]);
        int clock = telegram.IndexOf("0-0:1.0.0(", StringComparison.Ordinal);
        int at;
        do at = random.Next(30, body.Length - 1);
        while (at >= clock && at < clock + 24);
        switch (random.Next(5))
        {
            case 0 or 1:
                if (char.IsAsciiDigit(body[at])) body[at] = (char)('0' + random.Next(10));
                break;
            case 2:
                body[at] = ".-)(*A \n/!"[random.Next(10)];
                break;
            case 3:
                body[at] = body[at] == 'k' ? 'M' : body[at] == '1' ? '2' : body[at];
                break;
            default:
                if (char.IsAsciiDigit(body[at])) body.Insert(at, '0');
                break;
        }
        var text = body.ToString();
        return text + Metrify.Engine.Frames.Meter.Crc16.Arc(Encoding.ASCII.GetBytes(text)).ToString("X4") + "\r\n";
    }
}
