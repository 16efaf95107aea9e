namespace Metrify.Cli.Tests;

/// <summary>Large inputs are decoded as parallel segments: the lake must hold exactly what one segment would give.</summary>
public class SegmentTests
{
    private static string Settings(string dir, long segmentBytes, int threads)
    {
        var path = Path.Combine(dir, $"settings-{segmentBytes}-{threads}.json");
        File.WriteAllText(path, $$"""{ "Ingest": { "SegmentBytes": {{segmentBytes}}, "DecodeThreads": {{threads}}, "ReadBufferBytes": 2097152, "MaxRecordBytes": 65536 } }""");
        return path;
    }

    [Theory]
    [InlineData("csv")]
    [InlineData("jsonl")]
    public void Segmented_decoding_gives_the_same_rows_and_quarantine_line_numbers(string format)
    {
        var dir = CliRunner.TempDir();
        var data = Path.Combine(dir, "data");
        CliRunner.Ok("simulate", "-o", data, "--meters", "150", "--days", "3", "--malformed-rate", "0.002", "--format", format);
        var input = Path.Combine(data, $"readings.{format}");
        Assert.True(new FileInfo(input).Length > 2 << 20, "the input must span several 1 MiB segments");

        CliRunner.Ok("ingest", input, "--lake", Path.Combine(dir, "one"), "--config", Settings(dir, 1L << 30, 1));
        CliRunner.Ok("ingest", input, "--lake", Path.Combine(dir, "many"), "--config", Settings(dir, 1L << 20, 2));
        string Glob(string lake, string table) => $"read_parquet('{Path.Combine(dir, lake, table)}/*/*/*.parquet')";
        var one = Path.Combine(dir, "one");
        Assert.Equal(CliRunner.Scalar<long>(one, "SELECT count(*) FROM readings"), CliRunner.Scalar<long>(Path.Combine(dir, "many"), "SELECT count(*) FROM readings"));
        Assert.Equal(0L, CliRunner.Scalar<long>(one, $"SELECT count(*) FROM (SELECT * FROM {Glob("one", "readings")} EXCEPT ALL SELECT * FROM {Glob("many", "readings")})"));
        var faults = File.ReadAllLines(Path.Combine(data, "faults.csv"));
        int lineColumn = Array.IndexOf(faults[0].Split(','), $"{format}_line");
        var injected = faults.Skip(1).Select(l => l.Split(','))
            .Where(f => f[0] == "malformed" && f[1] == "readings").Select(f => long.Parse(f[lineColumn])).Order().ToList();
        var lines = CliRunner.Rows(Path.Combine(dir, "many"), "SELECT line_number FROM quarantine ORDER BY 1").Select(r => Convert.ToInt64(r[0])).ToList();
        Assert.Equal(injected, lines);
        Assert.Equal(0L, CliRunner.Scalar<long>(one, $"SELECT count(*) FROM (SELECT source, line_number, byte_offset, reason, raw FROM {Glob("one", "quarantine")} EXCEPT ALL SELECT source, line_number, byte_offset, reason, raw FROM {Glob("many", "quarantine")})"));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void A_quoted_csv_falls_back_to_one_segment_and_loses_nothing()
    {
        var dir = CliRunner.TempDir();
        var csv = Path.Combine(dir, "quoted.csv");
        using (var w = new StreamWriter(csv))
        {
            w.Write("meter_id,reading_timestamp,voltage_v\n");
            for (int i = 0; i < 60_000; i++) w.Write($"\"SM{i:D6}\nline2\",2026-01-05T{i % 24:D2}:00:00Z,230.{i % 10}\n");
        }
        Assert.True(new FileInfo(csv).Length > 2 << 20);
        CliRunner.Ok("ingest", csv, "--lake", Path.Combine(dir, "lake"), "--config", Settings(dir, 1L << 20, 2));
        Assert.Equal(60_000L, CliRunner.Scalar<long>(Path.Combine(dir, "lake"), "SELECT count(*) FROM readings WHERE meter_id LIKE 'SM%' || chr(10) || 'line2'"));
        Assert.False(Directory.Exists(Path.Combine(dir, "lake", "quarantine")));
        Directory.Delete(dir, true);
    }
}
