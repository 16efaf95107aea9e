namespace Metrify.Cli.Tests;

/// <summary>Operator mistakes: exit code 2 and one line naming what to fix.</summary>
public class ExitCodeTests
{
    private static void AssertOperatorError(CliResult r, string mentions)
    {
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("metrify: error: ", line);
        Assert.Contains(mentions, line);
    }

    [Fact]
    public void A_missing_input_is_named() =>
        AssertOperatorError(CliRunner.Run("ingest", "/no/such/file.csv", "--lake", CliRunner.TempDir()), "/no/such/file.csv");

    [Fact]
    public void A_named_file_without_a_required_column_names_the_column()
    {
        var dir = CliRunner.TempDir();
        File.WriteAllText(Path.Combine(dir, "m.csv"), "meter_id,city\nSM1,Berlin\n");
        AssertOperatorError(CliRunner.Run("ingest", Path.Combine(dir, "m.csv"), "--lake", dir), "reading_timestamp");
        AssertOperatorError(CliRunner.Run("ingest", Path.Combine(dir, "m.csv"), "--lake", dir, "--table", "readings"), "reading_timestamp");
    }

    [Fact]
    public void An_unrecognised_file_in_a_folder_is_skipped_with_a_note()
    {
        var dir = CliRunner.TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "in"));
        File.WriteAllText(Path.Combine(dir, "in", "m.csv"), "meter_id,city\nSM1,Berlin\n");
        File.WriteAllText(Path.Combine(dir, "in", "r.csv"), "meter_id,reading_timestamp\nSM1,2026-01-01T00:00:00Z\n");
        var r = CliRunner.Ok("ingest", Path.Combine(dir, "in"), "--lake", Path.Combine(dir, "lake"));
        Assert.Contains("skipped m.csv", r.Stdout);
        Assert.Equal(1L, CliRunner.Scalar<long>(Path.Combine(dir, "lake"), "SELECT count(*) FROM readings"));
    }

    [Fact]
    public void A_bad_setting_names_its_key()
    {
        var dir = CliRunner.TempDir();
        var config = Path.Combine(dir, "metrify.json");
        File.WriteAllText(config, """{ "Lake": { "Encoder": "Fastest" } }""");
        AssertOperatorError(CliRunner.Run("query", "--config", config, "--lake", dir), "Encoder");
        File.WriteAllText(config, """{ "Lake": { "RowGroupRows": 0 } }""");
        AssertOperatorError(CliRunner.Run("query", "--config", config, "--lake", dir), "Lake:RowGroupRows");
        File.WriteAllText(config, """{ "Lake": { "RowGroupRowz": 5 } }""");
        AssertOperatorError(CliRunner.Run("query", "--config", config, "--lake", dir), "RowGroupRowz");
        File.WriteAllText(config, "{ not json");
        AssertOperatorError(CliRunner.Run("query", "--config", config, "--lake", dir), "metrify.json");
        AssertOperatorError(CliRunner.Run("query", "--config", Path.Combine(dir, "none.json")), "--config");
    }

    [Fact]
    public void Bad_kafka_settings_are_named_one_line_each()
    {
        var dir = CliRunner.TempDir();
        var config = Path.Combine(dir, "metrify.json");
        File.WriteAllText(config, """
            { "Kafka": { "BootstrapServers": "localhost:9092", "Topics": [ { "Name": "a b" }, { "Name": "grid", "Table": "gas" },
              { "Name": "csv", "Format": "csv", "Columns": ["meter_id"] }, { "Name": "x", "Format": "xml" } ],
              "RollSeconds": 0, "Properties": { "enable.auto.commit": "true" } } }
            """);
        var r = CliRunner.Run("query", "--config", config, "--lake", dir);
        Assert.Equal(2, r.ExitCode);
        var lines = r.Stderr.Trim().Split('\n');
        Assert.Contains(lines, l => l.Contains("Kafka:Topics: 'a b' is not a topic name", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("topic grid: Table must be readings, grid_status or weather (is 'gas')", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("required column reading_timestamp missing", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("topic x: Format must be jsonl, csv, p1, sml or p1-encrypted (is 'xml')", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Kafka:RollSeconds must be between", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Kafka:Properties: 'enable.auto.commit' is managed by Metrify", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.StartsWith("metrify: error: ", l));
        File.WriteAllText(config, """{ "Kafka": { "Topics": [ { "Name": "t" } ] } }""");
        AssertOperatorError(CliRunner.Run("query", "--config", config, "--lake", dir), "Kafka:BootstrapServers");
    }

    [Fact]
    public void Bad_options_are_named()
    {
        AssertOperatorError(CliRunner.Run("simulate", "--interval-minutes", "7", "-o", CliRunner.TempDir()), "--interval-minutes");
        AssertOperatorError(CliRunner.Run("simulate", "--format", "xml", "-o", CliRunner.TempDir()), "--format");
        AssertOperatorError(CliRunner.Run("query", "--lake", "/no/such/lake"), "Lake:Root");
        AssertOperatorError(CliRunner.Run("ingest", CliRunner.TempDir(), "--table", "nope"), "--table");
    }

    [Fact]
    public void A_lake_that_cannot_be_written_is_one_line()
    {
        var dir = CliRunner.TempDir();
        var csv = Path.Combine(dir, "r.csv");
        File.WriteAllText(csv, "meter_id,reading_timestamp\nA,2026-01-05T00:00:00Z\n");
        var notAFolder = Path.Combine(dir, "lake");
        File.WriteAllText(notAFolder, "a file where the lake should be");
        var r = CliRunner.Run("ingest", csv, "--lake", notAFolder);
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("metrify: error: ", line);
        Assert.Contains("Lake:Root", line);
    }

    [Fact]
    public void A_failing_query_is_one_line()
    {
        var dir = CliRunner.TempDir();
        AssertOperatorError(CliRunner.Run("query", "SELECT * FROM nowhere", "--lake", dir), "query failed");
    }

    [Fact]
    public void Unknown_commands_fail_with_a_usage_error() => Assert.NotEqual(0, CliRunner.Run("frobnicate").ExitCode);
}
