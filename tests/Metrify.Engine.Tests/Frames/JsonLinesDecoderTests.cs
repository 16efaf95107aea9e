using System.Text;
using System.Text.Json;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Tests.Frames;

public class JsonLinesDecoderTests
{
    private static readonly TableSpec R = Tables.Readings;
    private static int Col(string name) => R.IndexOf(name);

    [Fact]
    public void Decodes_flat_objects_in_any_property_order()
    {
        var d = DecodeHarness.Json(
            "{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"consumption_kwh\":0.125,\"export_kwh\":null}\n" +
            "{ \"voltage_v\" : 231.5 , \"reading_timestamp\":\"2026-01-05T01:15:00+01:00\", \"meter_id\":\"SM2\", \"note\": {\"a\":[1,2]} }\r\n");
        Assert.Equal(2, d.Rows.Count);
        Assert.Equal("SM1", d.Rows[0][Col("meter_id")]);
        Assert.Equal(0.125, d.Rows[0][Col("consumption_kwh")]);
        Assert.Null(d.Rows[0][Col("export_kwh")]);
        Assert.Equal(231.5, d.Rows[1][Col("voltage_v")]);
        Assert.Equal(d.Rows[0][Col("reading_timestamp")], d.Rows[1][Col("reading_timestamp")]);
        Assert.Empty(d.Quarantine);
    }

    [Fact]
    public void Escaped_strings_are_unescaped()
    {
        var d = DecodeHarness.Json("{\"meter_id\":\"SM\\u00e91\\\"\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\"}\n");
        Assert.Equal("SMé1\"", d.Rows[0][Col("meter_id")]);
    }

    [Theory]
    [InlineData("{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"consumption_kwh\":\"abc\"}", "bad_number")]
    [InlineData("{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-02-30T00:15:00Z\"}", "bad_timestamp")]
    [InlineData("{\"meter_id\":\"SM1\",\"reading_timestamp\":1767571200}", "wrong_type")]
    [InlineData("{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"voltage_v\":true}", "wrong_type")]
    [InlineData("{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"voltage_v\":[230]}", "wrong_type")]
    [InlineData("{\"reading_timestamp\":\"2026-01-05T00:15:00Z\"}", "missing_value")]
    [InlineData("{\"meter_id\":null,\"reading_timestamp\":\"2026-01-05T00:15:00Z\"}", "missing_value")]
    [InlineData("{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\"", "broken_record")]
    [InlineData("{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",}", "broken_record")]
    [InlineData("{\"meter_id\":\"SM1\" \"reading_timestamp\":\"2026-01-05T00:15:00Z\"}", "broken_record")]
    [InlineData("{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"voltage_v\":01}", "broken_record")]
    [InlineData("[1,2,3]", "broken_record")]
    [InlineData("garbage", "broken_record")]
    [InlineData("{\"meter_id\":\"SM\\q\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\"}", "broken_record")]
    public void Bad_lines_are_quarantined_and_the_rest_loads(string line, string reason)
    {
        var good = "{\"meter_id\":\"SM0\",\"reading_timestamp\":\"2026-01-05T00:00:00Z\"}\n";
        var d = DecodeHarness.Json(good + line + "\n" + good);
        var q = Assert.Single(d.Quarantine);
        Assert.Equal(reason, q.Reason);
        Assert.Equal(2, q.Line);
        Assert.Equal(line, q.Raw);
        Assert.Equal(2, d.Rows.Count);
    }

    [Fact]
    public void Agrees_with_Utf8JsonReader_on_random_lines_and_chunking()
    {
        var r = new Random(5);
        var sb = new StringBuilder();
        var expected = new List<(string Id, double? V)>();
        for (int i = 0; i < 500; i++)
        {
            var props = new List<string>
            {
                $"\"meter_id\":{JsonSerializer.Serialize($"SM{i}" + (r.Next(8) == 0 ? "\"é\\" : ""))}",
                "\"reading_timestamp\":\"2026-01-05T00:15:00Z\"",
            };
            double? v = r.Next(5) == 0 ? null : Math.Round(200 + r.NextDouble() * 50, r.Next(0, 6));
            props.Add($"\"voltage_v\":{(v is null ? "null" : v.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture))}");
            if (r.Next(4) == 0) props.Add("\"nested\":{\"x\":[1,{\"y\":null}]}");
            sb.Append('{').Append(string.Join(',', props.OrderBy(_ => r.Next()))).Append("}\n");
            using var doc = JsonDocument.Parse(sb.ToString().Split('\n')[^2]);
            var vp = doc.RootElement.GetProperty("voltage_v");
            expected.Add((doc.RootElement.GetProperty("meter_id").GetString()!, vp.ValueKind == JsonValueKind.Null ? null : vp.GetDouble()));
        }
        foreach (int chunk in new[] { int.MaxValue, 3, 50 })
        {
            var d = DecodeHarness.Json(sb.ToString(), chunk: chunk);
            Assert.Empty(d.Quarantine);
            Assert.Equal(expected.Count, d.Rows.Count);
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i].Id, d.Rows[i][Col("meter_id")]);
                Assert.Equal(expected[i].V, d.Rows[i][Col("voltage_v")]);
            }
        }
    }

    [Fact]
    public void A_repeated_layout_and_every_departure_from_it_decode_as_a_line_read_alone()
    {
        // After a line, the decoder reads the next against that line's layout. Each departure below must give what
        // a decoder that has seen no line before gives: the same row, or the same quarantine reason.
        string[] departures =
        [
            "{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"consumption_kwh\":0.046,\"export_kwh\":null,\"voltage_v\":234.0}",
            "{\"meter_id\":\"SM0000001234567890123456789\",\"reading_timestamp\":\"2026-01-05T00:15:00.5+01:00\",\"consumption_kwh\":1,\"export_kwh\":0.5,\"voltage_v\":-0.0}",
            "{\"meter_id\":\"SM\\u00e9\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"consumption_kwh\":0.046,\"export_kwh\":null,\"voltage_v\":234.0}",
            "{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"consumption_kwh\":4.6e-2,\"export_kwh\":null,\"voltage_v\":234.0}",
            "{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"consumption_kwh\":0.046,\"export_kwh\":nul,\"voltage_v\":234.0}",
            "{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"consumption_kwh\":0.046,\"export_kwh\":nulx,\"voltage_v\":234.0}",
            "{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"consumption_kwh\":0.046,\"export_kwh\":null,\"voltage_v\":234.0e}",
            "{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"consumption_kwh\":0.046,\"export_kwh\":null,\"voltage_v\":\"234\"}",
            "{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"consumption_kwh\":0.046,\"export_kwh\":null,\"voltage_v\":true}",
            "{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"consumption_kwh\":0.046,\"export_kwh\":null,\"voltage_v\":01}",
            "{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"consumption_kwh\":0.046,\"export_kwh\":null,\"voltage_v\":234.0,\"x\":1}",
            "{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"consumption_kwh\":0.046,\"export_kwh\":null}",
            "{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"consumption_kwh\":0.046,\"consumption_kwh\":0.047,\"voltage_v\":234.0}",
            "{ \"meter_id\": \"SM1\", \"reading_timestamp\": \"2026-01-05T00:15:00Z\", \"consumption_kwh\": 0.046, \"export_kwh\": null, \"voltage_v\": 234.0 }",
            "{\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"meter_id\":\"SM1\",\"consumption_kwh\":0.046,\"export_kwh\":null,\"voltage_v\":234.0}",
            "{\"meter_id\":null,\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"consumption_kwh\":0.046,\"export_kwh\":null,\"voltage_v\":234.0}",
            "{\"meter_id\":\"SM1\",\"reading_timestamp\":\"\",\"consumption_kwh\":0.046,\"export_kwh\":null,\"voltage_v\":234.0}",
            "{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-13-05T00:15:00Z\",\"consumption_kwh\":0.046,\"export_kwh\":null,\"voltage_v\":234.0}",
            "{\"meter_id\":\"\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"consumption_kwh\":0.046,\"export_kwh\":null,\"voltage_v\":234.0}",
            "{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"consumption_kwh\":0.046,\"export_kwh\":null,\"voltage_v\":234.0}  ",
            "{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"consumption_kwh\":0.046,\"export_kwh\":null,\"voltage_v\":234.0",
            "{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"consumption_kwh\":0.046,\"export_kwh\":null,\"voltage_v\":234.0}}",
            "{\"meter_id\":\"SM1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"consumption_kwh\":0.046,\"export_kwh\":null,\"voltage_v\":2340000000000000000}",
            "{\"meter_id\":\"SM\"1\",\"reading_timestamp\":\"2026-01-05T00:15:00Z\",\"consumption_kwh\":0.046,\"export_kwh\":null,\"voltage_v\":234.0}",
        ];
        var r = new Random(11);
        var lines = new List<string>();
        for (int i = 0; i < 400; i++)
            lines.Add(r.Next(3) == 0 ? departures[r.Next(departures.Length)] : departures[0].Replace("SM1", $"SM{r.Next(100000):D6}"));
        foreach (int chunk in new[] { int.MaxValue, 7, 150 })
        {
            var whole = DecodeHarness.Json(string.Concat(lines.Select(l => l + "\n")), chunk: chunk);
            int row = 0;
            for (int i = 0; i < lines.Count; i++)
            {
                var alone = DecodeHarness.Json(lines[i] + "\n");
                if (alone.Quarantine.Count == 1)
                {
                    var q = Assert.Single(whole.Quarantine, q => q.Line == i + 1);
                    Assert.Equal(alone.Quarantine[0].Reason, q.Reason);
                    continue;
                }
                Assert.Equal(alone.Rows.Single(), whole.Rows[row++]);
            }
            Assert.Equal(row, whole.Rows.Count);
        }
    }

    [Fact]
    public void Every_byte_is_accounted_for()
    {
        var text = "{\"meter_id\":\"SM0\",\"reading_timestamp\":\"2026-01-05T00:00:00Z\"}\r\n\n  \n{broken\n{\"meter_id\":\"SM0\"}";
        var d = DecodeHarness.Json(text);
        Assert.Equal(Encoding.UTF8.GetByteCount(text), d.Stats.BytesAccepted + d.Stats.BytesQuarantined + d.Stats.BytesSkipped);
        Assert.Equal(1, d.Stats.Rows);
        Assert.Equal(2, d.Stats.Quarantined);
    }
}
