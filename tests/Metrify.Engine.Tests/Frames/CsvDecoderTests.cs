using System.Globalization;
using System.Text;
using Metrify.Engine.Columnar;
using Metrify.Engine.Frames.Csv;
using nietras.SeparatedValues;

namespace Metrify.Engine.Tests.Frames;

public class CsvDecoderTests
{
    private const string Header = "meter_id,reading_timestamp,consumption_kwh,voltage_v\n";
    private static readonly TableSpec R = Tables.Readings;
    private static int Col(string name) => R.IndexOf(name);

    [Fact]
    public void Decodes_values_into_their_columns()
    {
        var d = DecodeHarness.Csv(Header + "SM000001,2026-01-05T00:15:00Z,0.125,230.4\nSM000002,2026-01-05T00:15:00Z,,229.9\n");
        Assert.Equal(2, d.Rows.Count);
        Assert.Equal("SM000001", d.Rows[0][Col("meter_id")]);
        Assert.Equal(0.125, d.Rows[0][Col("consumption_kwh")]);
        Assert.Equal(230.4, d.Rows[0][Col("voltage_v")]);
        Assert.Null(d.Rows[1][Col("consumption_kwh")]);
        Assert.Null(d.Rows[0][Col("current_a")]);
        Assert.Equal(0, d.Rows[0][Col("quality_flags")] ?? 0);
        Assert.Empty(d.Quarantine);
    }

    [Fact]
    public void Columns_match_by_name_in_any_order_and_extra_columns_are_ignored()
    {
        var d = DecodeHarness.Csv("voltage_v;site;Reading_Timestamp;meter_id\n231.0;x;2026-01-05T00:15:00Z;SM1\n");
        Assert.Equal("SM1", d.Rows[0][Col("meter_id")]);
        Assert.Equal(231.0, d.Rows[0][Col("voltage_v")]);
        var header = CsvLayout.ParseHeader("voltage_v;site;Reading_Timestamp;meter_id"u8, (byte)';');
        Assert.Equal(["site"], CsvLayout.TryCreate(R, header, (byte)';', out _)!.ExtraColumns);
    }

    [Fact]
    public void A_missing_required_column_is_named()
    {
        var header = CsvLayout.ParseHeader("meter_id,consumption_kwh"u8, (byte)',');
        Assert.Null(CsvLayout.TryCreate(R, header, (byte)',', out var error));
        Assert.Contains("reading_timestamp", error);
    }

    [Theory]
    [InlineData("SM1,2026-01-05T00:15:00Z,abc,230\n", "bad_number", "consumption_kwh")]
    [InlineData("SM1,2026-02-30T00:15:00Z,1,230\n", "bad_timestamp", "reading_timestamp")]
    [InlineData(",2026-01-05T00:15:00Z,1,230\n", "missing_value", "meter_id")]
    [InlineData("SM1,,1,230\n", "missing_value", "reading_timestamp")]
    [InlineData("SM1,2026-01-05T00:15:00Z,1\n", "broken_record", "expected 4 fields, found 3")]
    [InlineData("SM1,2026-01-05T00:15:00Z,1,230,9\n", "broken_record", "expected 4 fields, found 5")]
    [InlineData("\"SM1,2026-01-05T00:15:00Z,1,230\n", "broken_record", "unterminated")]
    [InlineData("\"SM1\"x,2026-01-05T00:15:00Z,1,230\n", "broken_record", "after a closing quote")]
    public void Bad_records_are_quarantined_with_reason_line_and_raw_bytes(string record, string reason, string detail)
    {
        var text = Header + "SM0,2026-01-05T00:00:00Z,0.5,230\n" + record + "SM2,2026-01-05T00:30:00Z,0.5,230\n";
        var d = DecodeHarness.Csv(text);
        var q = Assert.Single(d.Quarantine);
        Assert.Equal(reason, q.Reason);
        Assert.Contains(detail, q.Detail);
        Assert.Equal(3, q.Line);
        Assert.Equal(record.TrimEnd('\n'), q.Raw);
        Assert.Equal(Encoding.UTF8.GetByteCount(Header + "SM0,2026-01-05T00:00:00Z,0.5,230\n"), q.Offset);
        Assert.True(d.Rows.Count >= 1, "the rest of the file still loads");
        Assert.Equal("SM0", d.Rows[0][0]);
    }

    [Fact]
    public void Invalid_utf8_in_a_text_column_is_quarantined()
    {
        var bytes = Encoding.UTF8.GetBytes(Header + "SMx,2026-01-05T00:15:00Z,1,230\n");
        bytes[Header.Length + 2] = 0xFF;
        var d = DecodeHarness.Csv(bytes);
        Assert.Equal("invalid_text", Assert.Single(d.Quarantine).Reason);
    }

    [Fact]
    public void An_oversized_record_is_quarantined_and_skipped_without_growing_memory()
    {
        var huge = new string('9', 5000);
        var d = DecodeHarness.Csv(Header + $"SM1,2026-01-05T00:15:00Z,{huge},230\nSM2,2026-01-05T00:15:00Z,1,230\n", chunk: 700, maxRecordBytes: 1024);
        Assert.Equal("oversized_record", Assert.Single(d.Quarantine).Reason);
        Assert.Equal(1024, d.Quarantine[0].Raw.Length);
        Assert.Equal("SM2", Assert.Single(d.Rows)[0]);
    }

    [Fact]
    public void Quoted_fields_with_separators_quotes_and_line_breaks()
    {
        var d = DecodeHarness.Csv("meter_id,reading_timestamp,voltage_v\n\"SM,\"\"1\"\"\nx\",\"2026-01-05T00:15:00Z\",\"230.5\"\r\nSM2,2026-01-05T00:15:00Z,231\n");
        Assert.Equal(2, d.Rows.Count);
        Assert.Equal("SM,\"1\"\nx", d.Rows[0][0]);
        Assert.Equal(230.5, d.Rows[0][Col("voltage_v")]);
        Assert.Equal("SM2", d.Rows[1][0]);
    }

    [Fact]
    public void Spaces_and_spelled_out_nulls_are_accepted()
    {
        var d = DecodeHarness.Csv(Header + "SM1,2026-01-05T00:15:00Z, 0.5 ,NULL\r\n");
        Assert.Equal(0.5, d.Rows[0][Col("consumption_kwh")]);
        Assert.Null(d.Rows[0][Col("voltage_v")]);
    }

    [Fact]
    public void Every_byte_is_accounted_for()
    {
        var text = Header + "SM1,2026-01-05T00:15:00Z,1,230\r\n\nbroken\n\"unterminated";
        var d = DecodeHarness.Csv(text);
        long body = Encoding.UTF8.GetByteCount(text) - Header.Length;
        Assert.Equal(body, d.Stats.BytesAccepted + d.Stats.BytesQuarantined + d.Stats.BytesSkipped);
        Assert.Equal(1, d.Stats.Rows);
        Assert.Equal(2, d.Stats.Quarantined);
    }

    [Fact]
    public void Quarantine_rows_take_the_event_time_of_the_nearest_good_record()
    {
        var d = DecodeHarness.Csv(Header + "bad\nSM1,2026-01-05T00:15:00Z,1,230\nbad\n");
        long first = d.Rows[0][Col("reading_timestamp")] is long t ? t : 0;
        Assert.All(d.Quarantine, q => Assert.Equal(first, q.ContextTimestamp));
    }

    [Fact]
    public void Results_do_not_depend_on_how_the_input_is_chunked()
    {
        var text = RandomCsv(new Random(11), 400);
        var whole = DecodeHarness.Csv(text);
        foreach (int chunk in new[] { 1, 7, 64, 333 })
        {
            var chunked = DecodeHarness.Csv(text, chunk: chunk);
            Assert.Equal(whole.Rows.Count, chunked.Rows.Count);
            for (int i = 0; i < whole.Rows.Count; i++) Assert.Equal(whole.Rows[i], chunked.Rows[i]);
            Assert.Equal(whole.Quarantine, chunked.Quarantine);
        }
    }

    [Fact]
    public void Bad_records_among_plain_lines_are_read_the_same_whole_and_byte_by_byte()
    {
        // Whole, most lines take the block path; fed a byte at a time, every line is read alone. Each bad record
        // must leave the block path to the line path with nothing of it kept, and the lines after it must follow.
        string[] departures =
        [
            "SM1,2026-01-05T00:15:00Z,abc,230", "SM1,2026-13-05T00:15:00Z,1,230", ",2026-01-05T00:15:00Z,1,230",
            "SM1,2026-01-05T00:15:00Z,1", "SM1,2026-01-05T00:15:00Z,1,230,9", "", "\r", "SM1,2026-01-05T00:15:00Z,1,230\r",
            "SM1,2026-01-05T00:15:00Z,,", "SM1,2026-01-05T00:15:00Z, 1.5 ,null", "\"SM1\",2026-01-05T00:15:00Z,1,230",
            "SM1,2026-01-05T00:15:00Z,1," + new string('9', 300), "SM1,2026-01-05T00:15:00Z,-12345.678,1e3",
            "SM1,2026-01-05T00:15:00.123456+02:00,0.5,230", "SM\u00e9,2026-01-05T00:15:00Z,1,230", "\u00ff\u00fe,,,",
        ];
        var r = new Random(4);
        var sb = new StringBuilder(Header);
        for (int i = 0; i < 600; i++)
            sb.Append(r.Next(4) == 0 ? departures[r.Next(departures.Length)] : $"SM{r.Next(100000):D6},2026-01-05T00:{r.Next(60):D2}:00Z,{r.Next(1000) / 1000.0},{r.Next(2200, 2500) / 10.0}").Append('\n');
        var whole = DecodeHarness.Csv(sb.ToString(), maxRecordBytes: 256);
        var alone = DecodeHarness.Csv(sb.ToString(), chunk: 1, maxRecordBytes: 256);
        Assert.NotEmpty(whole.Quarantine);
        Assert.Equal(alone.Rows.Count, whole.Rows.Count);
        for (int i = 0; i < whole.Rows.Count; i++) Assert.Equal(alone.Rows[i], whole.Rows[i]);
        // The detail of an over-long record says its length only when the whole record was in view.
        static object Key(QuarantinedRecord q) => (q.Line, q.Offset, q.Reason, q.Raw, q.ContextTimestamp, q.Reason == "oversized_record" ? "" : q.Detail);
        Assert.Equal(alone.Quarantine.Select(Key), whole.Quarantine.Select(Key));
        Assert.Equal(alone.Stats.BytesSkipped, whole.Stats.BytesSkipped);
        Assert.Equal(alone.Stats.BytesAccepted, whole.Stats.BytesAccepted);
    }

    [Fact]
    public void Agrees_with_Sep_on_random_files()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var text = RandomCsv(new Random(seed), 300);
            var ours = DecodeHarness.Csv(text, batchRows: 1024 + seed);
            using var reader = Sep.Reader(o => o with { Unescape = true }).FromText(text);
            int row = 0;
            foreach (var sepRow in reader)
            {
                var expected = ours.Rows[row++];
                Assert.Equal(sepRow["meter_id"].ToString(), expected[Col("meter_id")]);
                string v = sepRow["voltage_v"].ToString();
                Assert.Equal(v.Length == 0 ? null : double.Parse(v, CultureInfo.InvariantCulture), expected[Col("voltage_v")]);
                var ts = DateTimeOffset.Parse(sepRow["reading_timestamp"].ToString(), CultureInfo.InvariantCulture);
                Assert.Equal((ts.UtcDateTime - DateTime.UnixEpoch).Ticks / 10, expected[Col("reading_timestamp")]);
            }
            Assert.Equal(row, ours.Rows.Count);
        }
    }

    /// <summary>Valid CSV with quoting, CRLF and empty values, in a random column order.</summary>
    internal static string RandomCsv(Random r, int rows)
    {
        var columns = new[] { "meter_id", "reading_timestamp", "voltage_v", "extra" }.OrderBy(_ => r.Next()).ToArray();
        var sb = new StringBuilder(string.Join(',', columns)).Append('\n');
        for (int i = 0; i < rows; i++)
        {
            var values = columns.Select(c => c switch
            {
                "meter_id" => r.Next(5) == 0 ? $"\"SM,{i}\"\"q\"\"\"" : $"SM{i:D6}",
                "reading_timestamp" => $"2026-01-05T{r.Next(24):D2}:{r.Next(60):D2}:{r.Next(60):D2}{(r.Next(2) == 0 ? "Z" : "+01:00")}",
                "voltage_v" => r.Next(6) == 0 ? "" : (220 + r.Next(200) / 10.0).ToString(CultureInfo.InvariantCulture),
                _ => r.Next(4) == 0 ? "\"a\nb\"" : "x",
            });
            sb.Append(string.Join(',', values)).Append(r.Next(3) == 0 ? "\r\n" : "\n");
        }
        return sb.ToString();
    }
}
