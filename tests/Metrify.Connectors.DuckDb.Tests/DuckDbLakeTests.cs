using Metrify.Connectors.DuckDb;
using Metrify.Engine.Lake;
using Metrify.Engine.Pipeline;

namespace Metrify.Connectors.DuckDb.Tests;

public class DuckDbLakeTests
{
    [Fact]
    public void Views_exist_only_for_tables_with_files_and_summaries_count_them()
    {
        var root = Directory.CreateTempSubdirectory("metrify-duck-").FullName;
        var csv = Path.Combine(root, "w.csv");
        File.WriteAllText(csv, "station_id,observation_timestamp,temperature_celsius\nDWD-1,2026-01-05T00:10:00Z,1.5\nDWD-1,2026-01-05T01:10:00Z,2.5\n");
        using (var ingestor = new Ingestor(new LakeOptions { Root = Path.Combine(root, "lake") }, new IngestOptions()))
            ingestor.IngestFile(csv);
        using var duck = new DuckDbLake(Path.Combine(root, "lake"));
        Assert.Equal(["weather", "weather_hourly"], duck.Views); // the station's two hours, aggregated in the stream
        Assert.Equal(2, duck.Scalar<long>("SELECT count(*) FROM weather_hourly"));
        var summary = duck.Summaries().Single(s => s.Table == "weather");
        Assert.Equal(2, summary.Rows);
        Assert.Equal(2, summary.Files);
        Assert.Equal(new DateTime(2026, 1, 5, 0, 10, 0, DateTimeKind.Utc), summary.First);
        Assert.Equal(new DateTime(2026, 1, 5, 1, 10, 0, DateTimeKind.Utc), summary.Last);
        Assert.Equal(4.0, duck.Scalar<double>("SELECT sum(temperature_celsius) FROM weather"));
        Directory.Delete(root, true);
    }

    [Fact]
    public void An_empty_lake_has_no_views() =>
        Assert.Empty(new DuckDbLake(Directory.CreateTempSubdirectory("metrify-duck-").FullName).Views);

    [Fact]
    public void Literals_are_quoted() => Assert.Equal("'it''s'", DuckDbLake.Literal("it's"));

    [Fact]
    public void Extensions_are_never_downloaded()
    {
        using var duck = new DuckDbLake(Path.GetTempPath());
        Assert.Equal("false", duck.Scalar<string>("SELECT current_setting('autoinstall_known_extensions')::VARCHAR"));
    }
}
