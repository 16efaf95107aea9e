using System.Globalization;

namespace Metrify.Cli.Tests;

/// <summary>Quality checks in the ingest and the <c>metrify quality</c> report, against the simulator's injected faults.</summary>
public class QualityReportTests
{
    [Fact]
    public void Every_injected_future_timestamp_is_flagged_and_nothing_else()
    {
        var dir = CliRunner.TempDir();
        var data = Path.Combine(dir, "data");
        var lake = Path.Combine(dir, "lake");
        CliRunner.Ok("simulate", "-o", data, "--meters", "50", "--days", "2", "--format", "csv", "--future-rate", "0.01", "--seed", "3");
        CliRunner.Ok("ingest", Path.Combine(data, "readings.csv"), Path.Combine(data, "grid_status.csv"), Path.Combine(data, "weather.csv"), "--lake", lake);

        var injected = File.ReadAllLines(Path.Combine(data, "faults.csv")).Skip(1).Select(l => l.Split(','))
            .Where(f => f[0] == "future").Select(f => f[2]).Order().ToList();
        var flagged = CliRunner.Rows(lake, "SELECT meter_id FROM readings WHERE (quality_flags >> 4) & 1 = 1 ORDER BY meter_id")
            .Select(r => (string)r[0]!).ToList();
        Assert.NotEmpty(injected);
        Assert.Equal(injected, flagged); // precision and recall 100 %
        // The simulated fleet is otherwise within the default ranges: no false positives anywhere.
        foreach (var table in new[] { "readings", "grid_status", "weather" })
            Assert.Equal(0, CliRunner.Scalar<long>(lake, $"SELECT count(*) FROM {table} WHERE quality_flags & 1 = 1"));

        var report = CliRunner.Ok("quality", "--lake", lake, "--format", "csv").Stdout;
        Assert.Contains("FutureTimestamp", report);
        var perDay = report.Split('\n').Where(l => l.StartsWith("2026-01-0", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, perDay.Count);
        foreach (var line in perDay)
        {
            var f = line.Split(',');
            double completeness = double.Parse(f[4], CultureInfo.InvariantCulture), score = double.Parse(f[5], CultureInfo.InvariantCulture);
            Assert.InRange(completeness, 0.97, 1.0); // gaps and future-stamped readings are missing
            Assert.True(score <= completeness);
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Ranges_come_from_metrify_json_and_a_bad_one_is_an_operator_error()
    {
        var dir = CliRunner.TempDir();
        var data = Path.Combine(dir, "data");
        var lake = Path.Combine(dir, "lake");
        CliRunner.Ok("simulate", "-o", data, "--meters", "10", "--days", "1", "--format", "csv", "--no-faults");
        var config = Path.Combine(dir, "metrify.json");
        File.WriteAllText(config, """{ "Quality": { "Ranges": { "voltage_v": { "Min": 229, "Max": 231 } } } }""");
        CliRunner.Ok("ingest", Path.Combine(data, "readings.csv"), "--lake", lake, "--config", config);
        long outside = CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings WHERE voltage_v < 229 OR voltage_v > 231");
        Assert.True(outside > 0);
        Assert.Equal(outside, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings WHERE quality_flags & 1 = 1"));

        File.WriteAllText(config, """{ "Quality": { "Ranges": { "voltage": { "Min": 1, "Max": 2 } } } }""");
        var bad = CliRunner.Run("ingest", Path.Combine(data, "readings.csv"), "--lake", lake, "--config", config);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("Quality:Ranges:voltage", bad.Stderr);
        Directory.Delete(dir, true);
    }

    /// <summary>Every stateful check against what the simulator injected, in each input format: at least 99 %
    /// precision and recall per fault kind, late readings and meter swaps included (the gaps it cannot see are those
    /// at the very start and end of the data).</summary>
    [Theory]
    [InlineData("csv")]
    [InlineData("p1")]
    [InlineData("sml")]
    public void Each_check_finds_the_injected_faults(string format)
    {
        var dir = CliRunner.TempDir();
        var lake = Path.Combine(dir, "lake");
        var data = CliRunner.SimulateFaultyAndIngest(dir, lake, format, meters: 200, days: 7, seed: 11);
        var report = CliRunner.Ok("quality", "--lake", lake, "--faults", Path.Combine(data, "faults.csv"), "--format", "csv").Stdout;
        var measured = report.Split('\n').Select(l => l.Split(',')).Where(f => f.Length == 7 && f[0] is "duplicate" or "future" or "gap" or "spike" or "late" or "reset")
            .ToDictionary(f => f[0], f => (Injected: long.Parse(f[1], CultureInfo.InvariantCulture),
                Precision: double.Parse(f[5], CultureInfo.InvariantCulture), Recall: double.Parse(f[6], CultureInfo.InvariantCulture)));
        Assert.Equal(6, measured.Count);
        foreach (var (kind, m) in measured)
        {
            // A meter swap shows only where registers are sent (P1, SML); CSV rows carry none.
            if (kind == "reset" && format == "csv") { Assert.Equal(0, m.Injected); continue; }
            Assert.True(m.Injected > 10, $"{kind}: only {m.Injected} injected");
            Assert.True(m.Precision >= 0.99 && m.Recall >= 0.99, $"{format} {kind}: precision {m.Precision}, recall {m.Recall}");
        }
        Directory.Delete(dir, true);
    }

    /// <summary>A file decoded as many segments in parallel gets the same flags as one decoded whole: the series
    /// checks see each meter's rows in file order.</summary>
    [Theory]
    [InlineData("csv")]
    [InlineData("jsonl")] // the JSON decoder hands over a batch per hour: many small batches held while waiting
    public void Parallel_segments_check_meters_in_file_order(string format)
    {
        var dir = CliRunner.TempDir();
        var data = Path.Combine(dir, "data");
        CliRunner.Ok("simulate", "-o", data, "--meters", "200", "--days", "7", "--format", format, "--seed", "5",
            "--gap-rate", "0.01", "--duplicate-rate", "0.01", "--spike-rate", "0.005");
        var config = Path.Combine(dir, "metrify.json");
        File.WriteAllText(config, """{ "Ingest": { "SegmentBytes": 1048576, "DecodeThreads": 4 } }""");
        CliRunner.Ok("ingest", Path.Combine(data, $"readings.{format}"), "--lake", Path.Combine(dir, "whole"));
        CliRunner.Ok("ingest", Path.Combine(data, $"readings.{format}"), "--lake", Path.Combine(dir, "segmented"), "--config", config);
        const string sql = "SELECT count(*), CAST(sum(quality_flags) AS BIGINT), CAST(bit_xor(hash(meter_id, reading_timestamp, quality_flags)) AS VARCHAR) FROM readings";
        var whole = CliRunner.Rows(Path.Combine(dir, "whole"), sql)[0];
        Assert.True(Convert.ToInt64(whole[1], CultureInfo.InvariantCulture) > 0);
        Assert.Equal(whole, CliRunner.Rows(Path.Combine(dir, "segmented"), sql)[0]);
        Directory.Delete(dir, true);
    }
}
