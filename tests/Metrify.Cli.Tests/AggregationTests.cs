using Metrify.Engine.Columnar;

namespace Metrify.Cli.Tests;

/// <summary>
/// The aggregate tables against the same aggregation in DuckDB SQL over the raw readings, row for row: energy
/// (register steps or interval values), mean and peak power, voltage range, reading count, completeness, flags.
/// </summary>
public class AggregationTests
{
    private static readonly (TableSpec Table, long Length)[] Levels =
        [(Tables.Readings15Min, 900_000_000L), (Tables.ReadingsHourly, 3_600_000_000L), (Tables.ReadingsDaily, 86_400_000_000L)];

    /// <summary>The documented aggregation (docs/quality.md) in SQL, joined with the latest revision of each
    /// aggregate row: (rows, rows only on one side, rows that differ).</summary>
    private static (long Total, long Missing, long Differing) Compare(string lake, TableSpec table, long length)
    {
        var sql = $$"""
            WITH r AS (
              SELECT meter_id, reading_timestamp AS ts, quality_flags AS q, consumption_kwh, export_kwh, import_power_kw,
                     voltage_v, voltage_l1_v, voltage_l2_v, voltage_l3_v,
                     coalesce(import_total_kwh, CASE WHEN import_t1_kwh IS NULL AND import_t2_kwh IS NULL THEN NULL ELSE coalesce(import_t1_kwh, 0) + coalesce(import_t2_kwh, 0) END) AS imp,
                     coalesce(export_total_kwh, CASE WHEN export_t1_kwh IS NULL AND export_t2_kwh IS NULL THEN NULL ELSE coalesce(export_t1_kwh, 0) + coalesce(export_t2_kwh, 0) END) AS exp
              FROM readings WHERE quality_flags & (4 | 16 | 32 | 512) = 0),
            e AS (
              SELECT *,
                CASE WHEN imp IS NULL THEN coalesce(consumption_kwh, 0) WHEN q & 64 <> 0 THEN 0 ELSE greatest(coalesce(imp - lag(imp) OVER (PARTITION BY meter_id, imp IS NULL, q & 64 <> 0 ORDER BY ts), 0), 0) END AS imported,
                CASE WHEN exp IS NULL THEN coalesce(export_kwh, 0) WHEN q & 64 <> 0 THEN 0 ELSE greatest(coalesce(exp - lag(exp) OVER (PARTITION BY meter_id, exp IS NULL, q & 64 <> 0 ORDER BY ts), 0), 0) END AS exported,
                epoch_us(ts) - ((epoch_us(ts) % {{length}}) + {{length}}) % {{length}} AS start_us
              FROM r),
            s AS (
              SELECT meter_id, start_us, sum(imported) AS imp_kwh, sum(exported) AS exp_kwh, max(import_power_kw) AS peak,
                     least(min(voltage_v), min(voltage_l1_v), min(voltage_l2_v), min(voltage_l3_v)) AS minv,
                     greatest(max(voltage_v), max(voltage_l1_v), max(voltage_l2_v), max(voltage_l3_v)) AS maxv,
                     count(*) AS n, bit_or(q) AS flags
              FROM e GROUP BY ALL),
            a AS (SELECT * FROM {{table}} QUALIFY revision = max(revision) OVER (PARTITION BY meter_id, interval_start))
            SELECT count(*) AS total_rows,
                   count(*) FILTER (WHERE a.meter_id IS NULL OR s.meter_id IS NULL) AS missing,
                   count(*) FILTER (WHERE a.meter_id IS NOT NULL AND s.meter_id IS NOT NULL AND (
                        abs(a.energy_import_kwh - s.imp_kwh) > 1e-9 * greatest(1, abs(s.imp_kwh))
                     OR abs(a.energy_export_kwh - s.exp_kwh) > 1e-9 * greatest(1, abs(s.exp_kwh))
                     OR abs(a.mean_power_kw - s.imp_kwh / ({{length}} / 3600000000.0)) > 1e-9 * greatest(1, abs(a.mean_power_kw))
                     OR a.peak_power_kw IS DISTINCT FROM s.peak OR a.min_voltage_v IS DISTINCT FROM s.minv OR a.max_voltage_v IS DISTINCT FROM s.maxv
                     OR a.reading_count <> s.n OR a.quality_flags <> s.flags
                     OR epoch_us(a.interval_end) <> s.start_us + {{length}}
                     OR abs(a.completeness - least(1, s.n / ({{length}} / 60000000.0 / 15))) > 1e-12)) AS differing
            FROM a FULL JOIN s ON a.meter_id = s.meter_id AND epoch_us(a.interval_start) = s.start_us
            """;
        var row = CliRunner.Rows(lake, sql)[0];
        return (Convert.ToInt64(row[0]), Convert.ToInt64(row[1]), Convert.ToInt64(row[2]));
    }

    private static void AssertEqualToSql(string lake)
    {
        foreach (var (table, length) in Levels)
        {
            var (total, missing, differing) = Compare(lake, table, length);
            Assert.True(total > 0, $"{table.Name}: no rows");
            Assert.True(missing == 0 && differing == 0, $"{table.Name}: {missing} rows on one side only, {differing} differ of {total}");
        }
    }

    [Theory]
    [InlineData("csv")]
    [InlineData("p1")]
    [InlineData("sml")]
    public void Every_aggregate_table_equals_duckdb_over_the_raw_readings(string format)
    {
        var dir = CliRunner.TempDir();
        var lake = Path.Combine(dir, "lake");
        // Every fault kind shapes the aggregates: gaps, duplicates, spikes, future stamps, broken records, late
        // readings and meter swaps.
        CliRunner.SimulateFaultyAndIngest(dir, lake, format, meters: 60, days: 3, seed: 21);
        AssertEqualToSql(lake);
        Assert.Equal(60 * 3, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings_daily"));
        // The late readings are in: their intervals carry the Late bit.
        Assert.True(CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings_15min WHERE quality_flags & 64 <> 0") > 0);
        Directory.Delete(dir, true);
    }

    /// <summary>Intervals that span files: written open at the end of one file and completed by the next, whose row
    /// carries the next revision and the complete values.</summary>
    [Fact]
    public void Intervals_spanning_files_and_runs_are_complete_in_their_latest_revision()
    {
        var dir = CliRunner.TempDir();
        var data = Path.Combine(dir, "data");
        var lake = Path.Combine(dir, "lake");
        CliRunner.Ok("simulate", "-o", data, "--meters", "40", "--days", "2", "--format", "csv", "--seed", "4", "--gap-rate", "0.01", "--spike-rate", "0.005");
        var lines = File.ReadAllLines(Path.Combine(data, "readings.csv"));
        // Three files cut inside hours (and one inside the first day): hourly and daily intervals span them.
        int[] cuts = [1 + 40 * 6 + 17, 1 + 40 * 101 + 3, lines.Length];
        var parts = new List<string>();
        for (int i = 0, from = 1; i < cuts.Length; from = cuts[i++])
        {
            var part = Path.Combine(dir, $"part{i}.csv");
            File.WriteAllLines(part, lines.Take(1).Concat(lines[from..cuts[i]]));
            parts.Add(part);
        }
        // One ingest of three files: each file writes the intervals it leaves open, the next completes them.
        CliRunner.Ok(["ingest", .. parts, "--lake", lake]);
        AssertEqualToSql(lake);
        // An hour cut by a file boundary is written twice: open (revision 1) and complete (revision 2).
        Assert.True(CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings_hourly WHERE revision = 2") >= 80);
        Assert.Equal(4, CliRunner.Scalar<int>(lake, "SELECT max(reading_count) FROM readings_hourly WHERE revision = 2"));
        Assert.True(CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings_hourly WHERE revision = 1 AND reading_count < 4") >= 80);

        // The same files again in a new run: the same rows under the same names, nothing added.
        long before = Directory.GetFiles(lake, "*.parquet", SearchOption.AllDirectories).Length;
        CliRunner.Ok(["ingest", .. parts, "--lake", lake]);
        Assert.Equal(before, Directory.GetFiles(lake, "*.parquet", SearchOption.AllDirectories).Length);
        AssertEqualToSql(lake);
        Directory.Delete(dir, true);
    }

    /// <summary>One clean simulated day of five meters as CSV lines (header first), and that day (yyyy-MM-dd).</summary>
    private static (List<string> Lines, string Day) CleanDay(string dir)
    {
        var data = Path.Combine(dir, "data");
        CliRunner.Ok("simulate", "-o", data, "--meters", "5", "--days", "1", "--format", "csv", "--no-faults");
        var lines = File.ReadAllLines(Path.Combine(data, "readings.csv")).ToList();
        return (lines, lines[1].Split(',')[1][..10]);
    }

    /// <summary>SQL for a column of the latest revision of one meter's interval starting at <paramref name="start"/> (HH:mm) on <paramref name="day"/>.</summary>
    private static string Latest(string table, string meter, string day, string start, string column) => $"""
        SELECT {column} FROM {table} WHERE meter_id = '{meter}' AND interval_start = TIMESTAMPTZ '{day} {start}:00+00'
        ORDER BY revision DESC LIMIT 1
        """;

    /// <summary>Late readings: within Quality:LateGraceMinutes (60) one corrects its intervals at once (the next
    /// revision); one beyond the allowance, and a resend of a reading already counted, are flagged and left out.</summary>
    [Fact]
    public void Late_readings_within_the_allowance_correct_their_intervals_and_resends_do_not()
    {
        var dir = CliRunner.TempDir();
        var lake = Path.Combine(dir, "lake");
        var (lines, day) = CleanDay(dir);
        string Row(string meter, string time) => lines.Single(l => l.StartsWith($"{meter},{day}T{time}:00Z", StringComparison.Ordinal));
        string late = Row("SM000001", "23:15"), tooLate = Row("SM000002", "20:00"), resent = Row("SM000003", "23:00");
        File.WriteAllLines(Path.Combine(dir, "first.csv"), lines.Where(l => l != late && l != tooLate));
        File.WriteAllLines(Path.Combine(dir, "second.csv"), [lines[0], late, tooLate, resent]);
        CliRunner.Ok("ingest", Path.Combine(dir, "first.csv"), Path.Combine(dir, "second.csv"), "--lake", lake); // one process: one memory

        Assert.Equal(3, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings WHERE quality_flags & 64 <> 0"));
        // 30 minutes late: its quarter hour is written for the first time, its hour (written when it closed) again.
        Assert.Equal(1, CliRunner.Scalar<int>(lake, Latest("readings_15min", "SM000001", day, "23:15", "reading_count")));
        Assert.Equal(1, CliRunner.Scalar<int>(lake, Latest("readings_15min", "SM000001", day, "23:15", "revision")));
        Assert.Equal(4, CliRunner.Scalar<int>(lake, Latest("readings_hourly", "SM000001", day, "23:00", "reading_count")));
        Assert.Equal(2, CliRunner.Scalar<int>(lake, Latest("readings_hourly", "SM000001", day, "23:00", "revision")));
        Assert.Equal(64, CliRunner.Scalar<int>(lake, Latest("readings_hourly", "SM000001", day, "23:00", "quality_flags & 64")));
        Assert.Equal(96, CliRunner.Scalar<int>(lake, Latest("readings_daily", "SM000001", day, "00:00", "reading_count")));
        // Almost four hours late: beyond the allowance, so its quarter hour has no row and its day lacks it.
        Assert.Equal(0, CliRunner.Scalar<long>(lake, $"SELECT count(*) FROM readings_15min WHERE meter_id = 'SM000002' AND interval_start = TIMESTAMPTZ '{day} 20:00:00+00'"));
        Assert.Equal(95, CliRunner.Scalar<int>(lake, Latest("readings_daily", "SM000002", day, "00:00", "reading_count")));
        // A resend of a counted reading fills no free place in its quarter hour: not counted twice.
        Assert.Equal(4, CliRunner.Scalar<int>(lake, Latest("readings_hourly", "SM000003", day, "23:00", "reading_count")));
        Assert.Equal(96, CliRunner.Scalar<int>(lake, Latest("readings_daily", "SM000003", day, "00:00", "reading_count")));
        Directory.Delete(dir, true);
    }

    /// <summary>A late reading in the hour still in progress before any of its quarters closed (the meter sent nothing
    /// at 10:00 and 10:15, then 10:30, then the 10:00 reading): the hour takes it and, when its quarters close, the
    /// rest; every table still equals the SQL over the raw readings.</summary>
    [Fact]
    public void A_late_reading_in_an_hour_no_quarter_of_which_has_closed_lands_in_that_hour()
    {
        var dir = CliRunner.TempDir();
        var lake = Path.Combine(dir, "lake");
        var (lines, day) = CleanDay(dir);
        int At(string time) => lines.FindIndex(l => l.StartsWith($"SM000004,{day}T{time}:00Z", StringComparison.Ordinal));
        string late = lines[At("10:00")];
        lines.RemoveAt(At("10:15"));
        lines.RemoveAt(At("10:00"));
        lines.Insert(At("10:30") + 1, late);
        var input = Path.Combine(dir, "readings.csv");
        File.WriteAllLines(input, lines);
        CliRunner.Ok("ingest", input, "--lake", lake);
        AssertEqualToSql(lake);
        Assert.Equal(3, CliRunner.Scalar<int>(lake, Latest("readings_hourly", "SM000004", day, "10:00", "reading_count")));
        Directory.Delete(dir, true);
    }

    /// <summary>An hourly operator or station table against DuckDB's GROUP BY over the raw rows: (rows, one side only, differing).</summary>
    private static (long Total, long Missing, long Differing) CompareHourly(string lake, TableSpec target, TableSpec source, string key, string count, string[] measures, bool minMax)
    {
        string time = source.Columns[source.PartitionColumnIndex].Name;
        const long hour = 3_600_000_000L;
        var stats = string.Join(", ", measures.Select(m => $"avg({m}) AS mean_{m}" + (minMax ? $", min({m}) AS min_{m}, max({m}) AS max_{m}" : "")));
        string Close(string column) => $"(a.{column} IS DISTINCT FROM s.{column} AND NOT abs(a.{column} - s.{column}) <= 1e-9 * greatest(1, abs(s.{column})))";
        var differs = string.Join(" OR ", measures.SelectMany(m => minMax ? new[] { $"mean_{m}", $"min_{m}", $"max_{m}" } : [$"mean_{m}"]).Select(Close));
        var sql = $"""
            WITH r AS (SELECT * FROM {source.Name} WHERE quality_flags & (4 | 16 | 32 | 512) = 0
                       QUALIFY row_number() OVER (PARTITION BY {key}, {time} ORDER BY quality_flags & 64) = 1),
                 s AS (SELECT {key}, epoch_us({time}) - ((epoch_us({time}) % {hour}) + {hour}) % {hour} AS start_us, {stats},
                              count(*) AS n, bit_or(quality_flags) AS flags FROM r GROUP BY ALL),
                 a AS (SELECT * FROM {target.Name} QUALIFY revision = max(revision) OVER (PARTITION BY {key}, interval_start))
            SELECT count(*), count(*) FILTER (WHERE a.{key} IS NULL OR s.{key} IS NULL),
                   count(*) FILTER (WHERE a.{key} IS NOT NULL AND s.{key} IS NOT NULL AND ({differs} OR a.{count} <> s.n OR a.quality_flags <> s.flags
                                    OR epoch_us(a.interval_end) <> s.start_us + {hour}))
            FROM a FULL JOIN s ON a.{key} = s.{key} AND epoch_us(a.interval_start) = s.start_us
            """;
        var row = CliRunner.Rows(lake, sql)[0];
        return (Convert.ToInt64(row[0]), Convert.ToInt64(row[1]), Convert.ToInt64(row[2]));
    }

    [Fact]
    public void Operator_and_station_hours_equal_duckdb_over_the_raw_rows()
    {
        var dir = CliRunner.TempDir();
        var data = Path.Combine(dir, "data");
        var lake = Path.Combine(dir, "lake");
        CliRunner.Ok("simulate", "-o", data, "--meters", "5", "--days", "3", "--format", "csv", "--seed", "8", "--malformed-rate", "0.01");
        // Some grid rows arrive 10 minutes late (40 rows of four operators further on): within the allowance, they
        // land in their hour, open or already written (then written again with the next revision).
        var grid = File.ReadAllLines(Path.Combine(data, "grid_status.csv")).ToList();
        foreach (int at in new[] { 500, 1777, 3001, 6020, 9000, 12345 })
        {
            var row = grid[at];
            grid.RemoveAt(at);
            grid.Insert(at + 40, row);
        }
        grid.Insert(7000 + 20, grid[7000]); // and one is sent again 5 minutes later: a resend, not counted twice
        var lateGrid = Path.Combine(dir, "grid_status.csv");
        File.WriteAllLines(lateGrid, grid);
        CliRunner.Ok("ingest", lateGrid, Path.Combine(data, "weather.csv"), "--lake", lake);
        Assert.True(CliRunner.Scalar<long>(lake, "SELECT count(*) FROM grid_status WHERE quality_flags & 64 <> 0") >= 7);
        Assert.True(CliRunner.Scalar<long>(lake, "SELECT count(*) FROM grid_status_hourly WHERE quality_flags & 64 <> 0") >= 6);
        foreach (var (total, missing, differing, name) in new[]
        {
            Tuple(CompareHourly(lake, Tables.GridStatusHourly, Tables.GridStatus, "operator_id", "status_count", ["grid_frequency_hz", "grid_voltage_kv", "grid_load_mw"], true), "grid_status_hourly"),
            Tuple(CompareHourly(lake, Tables.WeatherHourly, Tables.Weather, "station_id", "observation_count",
                ["temperature_celsius", "humidity_percent", "pressure_hpa", "wind_speed_ms", "precipitation_mm", "cloud_cover_percent"], false), "weather_hourly"),
        })
        {
            Assert.True(total > 0, $"{name}: no rows");
            Assert.True(missing == 0 && differing == 0, $"{name}: {missing} rows on one side only, {differing} differ of {total}");
        }
        // Four operators, 72 hours; every station reports every hour.
        Assert.Equal(4 * 72, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM grid_status_hourly"));
        Directory.Delete(dir, true);
    }

    private static (long, long, long, string) Tuple((long Total, long Missing, long Differing) r, string name) => (r.Total, r.Missing, r.Differing, name);
}
