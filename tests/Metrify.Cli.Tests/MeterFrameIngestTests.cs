using System.Globalization;

namespace Metrify.Cli.Tests;

/// <summary>Meter frames through the product: simulate as P1 and SML, ingest, read back with DuckDB.</summary>
public class MeterFrameIngestTests
{
    private static string Conformance(string name) => Path.Combine(CliRunner.RepoRoot(), "tests", "conformance", "meter-frames", name);

    [Fact]
    public void Simulated_p1_and_sml_land_every_good_frame_and_quarantine_every_damaged_one()
    {
        var dir = CliRunner.TempDir();
        var data = Path.Combine(dir, "data");
        var lake = Path.Combine(dir, "lake");
        CliRunner.Ok("simulate", "-o", data, "--meters", "40", "--days", "2", "--format", "csv", "p1", "sml", "--malformed-rate", "0.02", "--seed", "5");
        // The same meters come twice (P1, then SML) into one lake, to compare the formats row for row: the series
        // checks would call every SML row late, so they are off here (QualityReportTests covers them per format).
        var config = Path.Combine(dir, "metrify.json");
        File.WriteAllText(config, """{ "Quality": { "SeriesChecks": false } }""");
        var run = CliRunner.Ok("ingest", Path.Combine(data, "readings.p1"), Path.Combine(data, "readings.sml.bin"), "--lake", lake, "--config", config);
        Assert.Contains("registers", run.Stdout);

        var faults = File.ReadAllLines(Path.Combine(data, "faults.csv"));
        var header = faults[0].Split(',');
        var malformed = faults.Skip(1).Select(l => l.Split(',')).Where(f => f[0] == "malformed" && f[1] == "readings").ToList();
        Assert.NotEmpty(malformed);
        foreach (var (column, file) in new[] { ("p1_offset", "readings.p1"), ("sml_offset", "readings.sml.bin") })
        {
            int at = Array.IndexOf(header, column);
            var expected = malformed.Select(f => (Offset: long.Parse(f[at], CultureInfo.InvariantCulture), Reason: f[4] == "truncated_record" ? "truncated_frame" : "bad_checksum"))
                .OrderBy(x => x.Offset).ToList();
            var quarantined = CliRunner.Rows(lake, $"SELECT byte_offset, reason FROM quarantine WHERE source LIKE '%{file}' ORDER BY byte_offset")
                .Select(r => (Offset: Convert.ToInt64(r[0], CultureInfo.InvariantCulture), Reason: (string)r[1]!)).ToList();
            Assert.Equal(expected, quarantined);
        }

        long csvRows = File.ReadLines(Path.Combine(data, "readings.csv")).Count() - 1;
        long good = csvRows - malformed.Count;
        Assert.Equal(2 * good, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings"));
        // Both formats carry the same registers: SML's 0.1 Wh total equals P1's two tariffs in kWh.
        var mismatches = CliRunner.Scalar<long>(lake, """
            SELECT count(*) FROM (SELECT meter_id, reading_timestamp, max(import_t1_kwh + import_t2_kwh) AS p1, max(import_total_kwh) AS sml
                                  FROM readings GROUP BY ALL) WHERE p1 IS NULL OR sml IS NULL OR abs(p1 - sml) > 0.0011
            """);
        Assert.Equal(0, mismatches);
        // The registers grow by what the CSV says was consumed (meters without damaged frames).
        var csv = File.ReadLines(Path.Combine(data, "readings.csv")).Skip(1).Select(l => l.Split(','))
            .GroupBy(f => f[0]).ToDictionary(g => g.Key, g => g.Sum(f => double.TryParse(f.ElementAtOrDefault(2), CultureInfo.InvariantCulture, out var v) ? v : 0));
        var damaged = malformed.Select(f => f[2]).ToHashSet();
        var finals = CliRunner.Rows(lake, "SELECT meter_id, max(import_total_kwh) FROM readings WHERE import_total_kwh IS NOT NULL GROUP BY meter_id");
        Assert.Equal(40, finals.Count);
        foreach (var row in finals.Where(r => !damaged.Contains((string)r[0]!)))
            Assert.True(Math.Abs(csv[(string)row[0]!] - (double)row[1]!) < 0.1, $"{row[0]}: registers {row[1]}, CSV sum {csv[(string)row[0]!]}");
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Conformance_captures_ingest_and_read_back_through_duckdb()
    {
        var dir = CliRunner.TempDir();
        var lake = Path.Combine(dir, "lake");
        var hex = Path.Combine(dir, "sml.hex");
        File.Copy(Conformance("streams/sml-apollon77-stream.hex"), hex);
        CliRunner.Ok("ingest", Conformance("streams/dsmr5-basjes-stream.txt"), hex, Conformance("dsmr5be-ndokter-1.txt"), "--lake", lake);
        Assert.Equal(566 + 878 + 1, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings"));
        Assert.Equal(565, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings WHERE meter_id = 'E0044007131650618' AND quality_flags = 0"));
        // The capture lacks the telegram of 15:10:08 (local): at this meter's one-second cadence, a gap.
        Assert.Equal("2019-03-24 14:10:09", CliRunner.Scalar<DateTime>(lake, "SELECT reading_timestamp FROM readings WHERE meter_id = 'E0044007131650618' AND quality_flags = 8")
            .ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        Assert.Equal(878, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings WHERE meter_id = '1DNT0100008240'"));
        Assert.Equal(4.373, CliRunner.Scalar<double>(lake, "SELECT min(export_total_kwh) FROM readings WHERE meter_id = '1DNT0100008240'"));
        Assert.Equal(872.234, CliRunner.Scalar<double>(lake, "SELECT value FROM gas WHERE device_type = 7"));
        Assert.Equal("2020-05-12 11:45:58", CliRunner.Scalar<DateTime>(lake, "SELECT capture_timestamp FROM gas WHERE channel = 1").ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        Assert.False(Directory.Exists(Path.Combine(lake, "quarantine"))); // nothing was quarantined
        Assert.Equal(2.589, CliRunner.Scalar<double>(lake, "SELECT value FROM registers WHERE obis = '1-0:1.6.0' AND value_index = 1"));
        Directory.Delete(dir, true);
    }
}
