using System.Text.Json;

namespace Metrify.Cli.Tests;

public class QueryTests
{
    private static string Lake()
    {
        var dir = CliRunner.TempDir();
        CliRunner.Ok("simulate", "-o", Path.Combine(dir, "data"), "--meters", "5", "--days", "1", "--format", "csv", "--no-faults");
        CliRunner.Ok("ingest", Path.Combine(dir, "data"), "--lake", Path.Combine(dir, "lake"));
        return Path.Combine(dir, "lake");
    }

    [Fact]
    public void Without_SQL_it_lists_tables_with_counts_and_time_ranges()
    {
        var r = CliRunner.Ok("query", "--lake", Lake(), "--format", "csv");
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("table,rows,files,first,last", lines[0]);
        Assert.Contains("readings,480,24,2026-01-05T00:00:00.000000Z,2026-01-05T23:45:00.000000Z", lines);
        Assert.Contains(lines, l => l.StartsWith("grid_status,5760,", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("weather,480,", StringComparison.Ordinal));
    }

    [Fact]
    public void Formats_csv_json_and_table()
    {
        var lake = Lake();
        const string sql = "SELECT meter_id, count(*) AS n, max(reading_timestamp) AS last FROM readings GROUP BY ALL ORDER BY meter_id LIMIT 2";
        var csv = CliRunner.Ok("query", sql, "--lake", lake, "--format", "csv").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["meter_id,n,last", "SM000000,96,2026-01-05T23:45:00.000000Z", "SM000001,96,2026-01-05T23:45:00.000000Z"], csv);
        using var json = JsonDocument.Parse(CliRunner.Ok("query", sql, "--lake", lake, "--format", "json").Stdout);
        Assert.Equal(2, json.RootElement.GetArrayLength());
        Assert.Equal(96, json.RootElement[0].GetProperty("n").GetInt64());
        var table = CliRunner.Ok("query", sql, "--lake", lake).Stdout;
        Assert.Contains("SM000001", table);
        Assert.Contains("meter_id", table);
    }

    [Fact]
    public void Partition_columns_are_queryable()
    {
        Assert.Equal(24L, CliRunner.Scalar<long>(Lake(), "SELECT count(DISTINCT hour) FROM readings WHERE date = DATE '2026-01-05'"));
    }
}
