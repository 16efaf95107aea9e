using System.Text.Json;

namespace Metrify.Cli.Tests;

/// <summary>The simulator's injected malformed records must all be in quarantine, with the right line and reason.</summary>
public class QuarantineTests
{
    private static readonly Dictionary<string, string> ReasonOf = new()
    {
        ["bad_number"] = "bad_number", ["bad_timestamp"] = "bad_timestamp", ["truncated_record"] = "broken_record",
        ["garbage_line"] = "broken_record", ["empty_key"] = "missing_value",
    };

    [Theory]
    [InlineData("csv", 5)]
    [InlineData("jsonl", 6)]
    public void Every_injected_malformed_record_is_quarantined_and_nothing_else(string format, int lineColumn)
    {
        var dir = CliRunner.TempDir();
        var data = Path.Combine(dir, "data");
        var lake = Path.Combine(dir, "lake");
        CliRunner.Ok("simulate", "-o", data, "--meters", "60", "--days", "2", "--malformed-rate", "0.01", "--seed", "9");
        var run = CliRunner.Ok("ingest", Path.Combine(data, $"readings.{format}"), "--lake", lake);
        Assert.Contains("quarantined", run.Stdout);

        var injected = File.ReadAllLines(Path.Combine(data, "faults.csv")).Skip(1).Select(l => l.Split(','))
            .Where(f => f[0] == "malformed" && f[1] == "readings")
            .Select(f => (Line: long.Parse(f[lineColumn]), Reason: ReasonOf[f[4]])).OrderBy(x => x.Line).ToList();
        var quarantined = CliRunner.Rows(lake, "SELECT line_number, reason, target_table, raw, byte_offset FROM quarantine ORDER BY line_number")
            .Select(r => (Line: Convert.ToInt64(r[0]), Reason: (string)r[1]!)).ToList();
        Assert.NotEmpty(injected);
        Assert.Equal(injected, quarantined);

        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(data, "manifest.json")));
        long written = manifest.RootElement.GetProperty("records_written").GetProperty("readings").GetInt64();
        // Identical duplicates are dropped by the checks (and said so).
        int duplicates = File.ReadAllLines(Path.Combine(data, "faults.csv")).Count(l => l.StartsWith("duplicate,readings,", StringComparison.Ordinal));
        Assert.True(duplicates > 0);
        Assert.Contains($"dropped {duplicates} identical duplicates", run.Stdout);
        Assert.Equal(written - injected.Count - duplicates, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings"));

        // raw bytes and offsets point at the record in the source file
        var source = File.ReadAllBytes(Path.Combine(data, $"readings.{format}"));
        foreach (var row in CliRunner.Rows(lake, "SELECT byte_offset, raw FROM quarantine"))
        {
            var raw = row[1] is Stream st ? ReadAll(st) : (byte[])row[1]!;
            Assert.Equal(raw, source.AsSpan((int)Convert.ToInt64(row[0]), raw.Length).ToArray());
        }
        Directory.Delete(dir, true);
    }

    private static byte[] ReadAll(Stream s)
    {
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    [Fact]
    public void Instants_at_the_edges_of_the_calendar_are_kept_or_quarantined_never_a_crash()
    {
        var dir = CliRunner.TempDir();
        var csv = Path.Combine(dir, "edges.csv");
        File.WriteAllText(csv, "meter_id,reading_timestamp\nA,0001-01-01T00:00:00Z\nB,9999-12-31T23:59:59.999999Z\nC,0000-06-01T00:00:00Z\nD,1969-12-31T23:30:00Z\nE,0001-01-01T00:30:00+01:00\n");
        var run = CliRunner.Ok("ingest", csv, "--lake", Path.Combine(dir, "lake"));
        var lake = Path.Combine(dir, "lake");
        Assert.Equal(["A", "B", "D"], CliRunner.Rows(lake, "SELECT meter_id FROM readings ORDER BY meter_id").Select(r => (string)r[0]!).ToArray());
        Assert.Equal(2L, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM quarantine WHERE reason = 'bad_timestamp'"));
        Assert.True(Directory.Exists(Path.Combine(lake, "readings", "date=1969-12-31", "hour=23")));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Megabyte_records_are_quarantined_in_bounded_batches()
    {
        var dir = CliRunner.TempDir();
        var csv = Path.Combine(dir, "huge.csv");
        var garbage = new string('x', 1_000_000);
        using (var w = new StreamWriter(csv))
        {
            w.Write("meter_id,reading_timestamp\n");
            for (int i = 0; i < 90; i++) w.Write(garbage + "\n");
            w.Write("A,2026-01-05T00:00:00Z\n");
        }
        CliRunner.Ok("ingest", csv, "--lake", Path.Combine(dir, "lake"));
        var lake = Path.Combine(dir, "lake");
        Assert.Equal(90L, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM quarantine WHERE octet_length(raw) = 1000000 AND reason = 'broken_record'"));
        Assert.Equal(1L, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings"));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Quarantine_rows_carry_source_reason_and_detail()
    {
        var dir = CliRunner.TempDir();
        var csv = Path.Combine(dir, "bad.csv");
        File.WriteAllText(csv, "meter_id,reading_timestamp,voltage_v\nA,2026-01-05T00:00:00Z,230\nB,2026-01-05T00:15:00Z,lots\n");
        var run = CliRunner.Ok("ingest", csv, "--lake", Path.Combine(dir, "lake"));
        Assert.Contains("quarantined 1 x bad_number, first: bad.csv line 3: column voltage_v: 'lots' is not a number", run.Stdout);
        var row = CliRunner.Rows(Path.Combine(dir, "lake"), "SELECT source, target_table, line_number, reason, detail, epoch_us(context_timestamp) FROM quarantine")[0];
        Assert.Equal(csv, row[0]);
        Assert.Equal("readings", row[1]);
        Assert.Equal(3L, Convert.ToInt64(row[2]));
        Assert.Equal("bad_number", row[3]);
        Assert.Contains("voltage_v", (string)row[4]!);
        Assert.Equal((new DateTime(2026, 1, 5, 0, 0, 0, DateTimeKind.Utc).Ticks - DateTime.UnixEpoch.Ticks) / 10, Convert.ToInt64(row[5]));
        Directory.Delete(dir, true);
    }
}
