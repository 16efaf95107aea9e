using System.Globalization;
using nietras.SeparatedValues;

namespace Metrify.Cli.Tests;

/// <summary>Simulate, ingest, and read back with DuckDB: the lake must hold exactly what was generated.</summary>
public class RoundTripTests
{
    private sealed record Expected(long Rows, long ConsumptionMilli, long ExportNulls, long VoltageDeci, long EpochMicrosSum, long MinMicros, long MaxMicros);

    /// <summary>The generated file read independently with Sep and the BCL, not with our decoder.</summary>
    private static Expected FromCsv(string path)
    {
        long rows = 0, cons = 0, exportNulls = 0, volt = 0, epoch = 0, min = long.MaxValue, max = long.MinValue;
        using var reader = Sep.Reader().FromFile(path);
        foreach (var row in reader)
        {
            rows++;
            cons += (long)Math.Round(double.Parse(row["consumption_kwh"].ToString(), CultureInfo.InvariantCulture) * 1000);
            if (row["export_kwh"].ToString().Length == 0) exportNulls++;
            volt += (long)Math.Round(double.Parse(row["voltage_v"].ToString(), CultureInfo.InvariantCulture) * 10);
            long us = (DateTimeOffset.Parse(row["reading_timestamp"].ToString(), CultureInfo.InvariantCulture).UtcTicks - DateTime.UnixEpoch.Ticks) / 10;
            epoch += us - 1_700_000_000_000_000;
            min = Math.Min(min, us);
            max = Math.Max(max, us);
        }
        return new Expected(rows, cons, exportNulls, volt, epoch, min, max);
    }

    private static Expected FromLake(string lake)
    {
        var r = CliRunner.Rows(lake, """
            SELECT count(*), sum(round(consumption_kwh * 1000)::BIGINT)::BIGINT, count(*) - count(export_kwh),
                   sum(round(voltage_v * 10)::BIGINT)::BIGINT, sum(epoch_us(reading_timestamp) - 1700000000000000)::BIGINT,
                   min(epoch_us(reading_timestamp)), max(epoch_us(reading_timestamp))
            FROM readings
            """)[0];
        return new Expected(Convert.ToInt64(r[0]), Convert.ToInt64(r[1]), Convert.ToInt64(r[2]), Convert.ToInt64(r[3]),
            Convert.ToInt64(r[4]), Convert.ToInt64(r[5]), Convert.ToInt64(r[6]));
    }

    [Theory]
    [InlineData("readings.csv", "ParquetSharp")]
    [InlineData("readings.jsonl", "ParquetSharp")]
    [InlineData("readings.csv", "ParquetNet")]
    [InlineData("readings.csv", "Metrify")]
    [InlineData("readings.jsonl", "Metrify")]
    public void DuckDB_reads_back_exactly_what_was_generated(string file, string encoder)
    {
        var dir = CliRunner.TempDir();
        var data = Path.Combine(dir, "data");
        var lake = Path.Combine(dir, "lake");
        CliRunner.Ok("simulate", "-o", data, "--meters", "40", "--days", "2", "--no-faults", "--seed", "5");
        CliRunner.Ok("ingest", Path.Combine(data, file), "--lake", lake, "--encoder", encoder, "--row-group-rows", "1000");
        Assert.Equal(FromCsv(Path.Combine(data, "readings.csv")), FromLake(lake));
        Assert.Equal(0L, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings WHERE quality_flags <> 0 OR meter_id IS NULL"));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void All_tables_land_and_CSV_and_JSON_lines_give_identical_rows()
    {
        var dir = CliRunner.TempDir();
        var data = Path.Combine(dir, "data");
        CliRunner.Ok("simulate", "-o", data, "--meters", "20", "--days", "1", "--no-faults");
        CliRunner.Ok("ingest", Path.Combine(data, "*.csv"), "--lake", Path.Combine(dir, "csv"));
        CliRunner.Ok("ingest", Path.Combine(data, "*.jsonl"), "--lake", Path.Combine(dir, "jsonl"));
        foreach (var (table, rows) in new[] { ("readings", 20 * 96L), ("grid_status", 1440 * 4L), ("weather", 24 * 20L) })
        {
            Assert.Equal(rows, CliRunner.Scalar<long>(Path.Combine(dir, "csv"), $"SELECT count(*) FROM {table}"));
            var glob = (string lakeRoot) => $"read_parquet('{Path.Combine(dir, lakeRoot, table)}/*/*/*.parquet')";
            Assert.Equal(0L, CliRunner.Scalar<long>(Path.Combine(dir, "csv"),
                $"SELECT count(*) FROM (SELECT * FROM {glob("csv")} EXCEPT ALL SELECT * FROM {glob("jsonl")})"));
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Files_follow_the_hive_layout_and_hold_only_their_hour()
    {
        var dir = CliRunner.TempDir();
        CliRunner.Ok("simulate", "-o", Path.Combine(dir, "data"), "--meters", "10", "--days", "1", "--no-faults", "--format", "csv");
        CliRunner.Ok("ingest", Path.Combine(dir, "data", "readings.csv"), "--lake", Path.Combine(dir, "lake"));
        var files = Directory.GetFiles(Path.Combine(dir, "lake", "readings"), "*.parquet", SearchOption.AllDirectories);
        Assert.Equal(24, files.Length);
        Assert.All(files, f => Assert.Matches(@"readings[/\\]date=2026-01-05[/\\]hour=\d\d[/\\]readings-[0-9a-f]{16}-\d{12}-\d{12}\.parquet$", f));
        Assert.Equal(0L, CliRunner.Scalar<long>(Path.Combine(dir, "lake"),
            "SELECT count(*) FROM readings WHERE CAST(reading_timestamp AS DATE) <> date OR hour(reading_timestamp) <> hour"));
        Assert.Empty(Directory.GetFiles(Path.Combine(dir, "lake"), "*.tmp", SearchOption.AllDirectories));
        Directory.Delete(dir, true);
    }

    [Theory]
    [InlineData("Metrify")]
    [InlineData("ParquetSharp")]
    [InlineData("ParquetNet")]
    public void Parquet_files_carry_utc_microsecond_timestamps_and_the_schema_version(string encoder)
    {
        var dir = CliRunner.TempDir();
        CliRunner.Ok("simulate", "-o", Path.Combine(dir, "data"), "--meters", "3", "--days", "1", "--no-faults", "--format", "csv");
        CliRunner.Ok("ingest", Path.Combine(dir, "data", "weather.csv"), "--lake", Path.Combine(dir, "lake"), "--encoder", encoder, "--compression", "zstd");
        var file = Directory.GetFiles(Path.Combine(dir, "lake", "weather"), "*.parquet", SearchOption.AllDirectories)[0];
        var lake = Path.Combine(dir, "lake");
        var ts = CliRunner.Rows(lake, $"SELECT type, logical_type FROM parquet_schema('{file}') WHERE name = 'observation_timestamp'")[0];
        Assert.Equal("INT64", ts[0]);
        Assert.Contains("isAdjustedToUTC=1", ts[1]!.ToString()!.Replace(" ", ""));
        Assert.Contains("MICROS", ts[1]!.ToString());
        Assert.Equal("1", CliRunner.Scalar<string>(lake, $"SELECT decode(value) FROM parquet_kv_metadata('{file}') WHERE decode(key) = 'metrify.schema_version'"));
        Assert.Equal("ZSTD", CliRunner.Scalar<string>(lake, $"SELECT DISTINCT compression FROM parquet_metadata('{file}') WHERE path_in_schema = 'temperature_celsius'"));
        Assert.Equal("TIMESTAMP WITH TIME ZONE", CliRunner.Scalar<string>(lake, "SELECT typeof(observation_timestamp) FROM weather LIMIT 1"));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Column_statistics_match_the_data_so_filters_prune_correctly()
    {
        var dir = CliRunner.TempDir();
        CliRunner.Ok("simulate", "-o", Path.Combine(dir, "data"), "--meters", "30", "--days", "1", "--no-faults", "--format", "csv");
        CliRunner.Ok("ingest", Path.Combine(dir, "data", "readings.csv"), "--lake", Path.Combine(dir, "lake"));
        var lake = Path.Combine(dir, "lake");
        var glob = Path.Combine(lake, "readings", "*", "*", "*.parquet");
        foreach (var column in new[] { "voltage_v", "meter_id", "export_kwh" })
        {
            var stats = CliRunner.Rows(lake, $"SELECT file_name, stats_min_value, stats_max_value, stats_null_count FROM parquet_metadata('{glob}') WHERE path_in_schema = '{column}'");
            Assert.Equal(24, stats.Count);
            foreach (var s in stats)
            {
                var actual = CliRunner.Rows(lake, $"SELECT min({column})::VARCHAR, max({column})::VARCHAR, count(*) - count({column}) FROM read_parquet('{s[0]}')")[0];
                Assert.Equal(actual[0], s[1]);
                Assert.Equal(actual[1], s[2]);
                Assert.Equal(Convert.ToInt64(actual[2]), Convert.ToInt64(s[3]));
            }
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Rows_in_random_time_order_land_in_their_hours()
    {
        var dir = CliRunner.TempDir();
        var csv = Path.Combine(dir, "shuffled.csv");
        var r = new Random(4);
        var start = new DateTime(2026, 3, 1, 0, 0, 0, DateTimeKind.Utc);
        var lines = Enumerable.Range(0, 3000).Select(i => $"M{i % 37},{start.AddMinutes(r.Next(100 * 60)):yyyy-MM-ddTHH:mm:ssZ},{i}").ToList();
        File.WriteAllText(csv, "meter_id,reading_timestamp,consumption_kwh\n" + string.Join("\n", lines) + "\n");
        CliRunner.Ok("ingest", csv, "--lake", Path.Combine(dir, "lake"));
        var lake = Path.Combine(dir, "lake");
        Assert.Equal(3000L, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings"));
        Assert.Equal(Enumerable.Range(0, 3000).Sum(), CliRunner.Scalar<long>(lake, "SELECT sum(consumption_kwh)::BIGINT FROM readings"));
        Assert.Equal(100L, CliRunner.Scalar<long>(lake, "SELECT count(DISTINCT (date, hour)) FROM readings"));
        Assert.Equal(0L, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings WHERE hour(reading_timestamp) <> hour"));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Input_sorted_by_meter_settles_into_few_files_per_hour()
    {
        var dir = CliRunner.TempDir();
        var csv = Path.Combine(dir, "bymeter.csv");
        var start = new DateTime(2026, 3, 1, 0, 0, 0, DateTimeKind.Utc);
        var rows = from m in Enumerable.Range(0, 100) from q in Enumerable.Range(0, 48 * 4)
                   select $"M{m:D3},{start.AddMinutes(15 * q):yyyy-MM-ddTHH:mm:ssZ},1";
        File.WriteAllText(csv, "meter_id,reading_timestamp,consumption_kwh\n" + string.Join("\n", rows) + "\n");
        var settings = Path.Combine(dir, "small-batches.json");
        File.WriteAllText(settings, """{ "Ingest": { "BatchRows": 1024 } }""");
        CliRunner.Ok("ingest", csv, "--lake", Path.Combine(dir, "lake"), "--config", settings);
        var lake = Path.Combine(dir, "lake");
        Assert.Equal(100L * 48 * 4, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings"));
        int files = Directory.GetFiles(Path.Combine(lake, "readings"), "*.parquet", SearchOption.AllDirectories).Length;
        Assert.InRange(files, 48, 2 * 48);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Every_spelling_of_an_instant_lands_as_the_same_microsecond()
    {
        var dir = CliRunner.TempDir();
        var csv = Path.Combine(dir, "t.csv");
        File.WriteAllText(csv, "meter_id,reading_timestamp,consumption_kwh\n" +
            "A,2026-03-01T10:00:00.123456Z,1\nB,2026-03-01T11:00:00.123456+01:00,1\nC,2026-03-01 05:30:00.123456-04:30,1\nD,2026-03-01T10:00:00.123456,1\n");
        CliRunner.Ok("ingest", csv, "--lake", Path.Combine(dir, "lake"));
        var rows = CliRunner.Rows(Path.Combine(dir, "lake"), "SELECT DISTINCT epoch_us(reading_timestamp) FROM readings");
        var expected = (new DateTime(2026, 3, 1, 10, 0, 0, DateTimeKind.Utc).Ticks - DateTime.UnixEpoch.Ticks) / 10 + 123456;
        Assert.Equal(expected, Convert.ToInt64(Assert.Single(rows)[0]));
        Directory.Delete(dir, true);
    }
}
