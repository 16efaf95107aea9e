namespace Metrify.Cli.Tests;

public class IdempotenceTests
{
    private static string[] LakeFiles(string lake) =>
        Directory.GetFiles(lake, "*.parquet", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(lake, f)).Order().ToArray();

    [Fact]
    public void Ingesting_the_same_input_again_changes_nothing()
    {
        var dir = CliRunner.TempDir();
        var data = Path.Combine(dir, "data");
        var lake = Path.Combine(dir, "lake");
        CliRunner.Ok("simulate", "-o", data, "--meters", "30", "--days", "1", "--format", "csv", "--malformed-rate", "0.01");
        CliRunner.Ok("ingest", data, "--lake", lake);
        var files = LakeFiles(lake);
        var bytes = files.Select(f => File.ReadAllBytes(Path.Combine(lake, f))).ToArray();
        long rows = CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings");
        long quarantined = CliRunner.Scalar<long>(lake, "SELECT count(*) FROM quarantine");

        CliRunner.Ok("ingest", data, "--lake", lake);
        Assert.Equal(files, LakeFiles(lake));
        for (int i = 0; i < files.Length; i++) Assert.Equal(bytes[i], File.ReadAllBytes(Path.Combine(lake, files[i])));
        Assert.Equal(rows, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings"));
        Assert.Equal(quarantined, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM quarantine"));

        // Other settings produce other files; the earlier ingest's files are replaced, not added to.
        CliRunner.Ok("ingest", data, "--lake", lake, "--encoder", "ParquetNet", "--row-group-rows", "100");
        Assert.Equal(rows, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings"));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void A_changed_file_at_the_same_path_replaces_its_earlier_rows()
    {
        var dir = CliRunner.TempDir();
        var csv = Path.Combine(dir, "r.csv");
        var lake = Path.Combine(dir, "lake");
        File.WriteAllText(csv, "meter_id,reading_timestamp\nA,2026-01-05T00:00:00Z\nB,2026-01-05T05:00:00Z\n");
        CliRunner.Ok("ingest", csv, "--lake", lake);
        File.WriteAllText(csv, "meter_id,reading_timestamp\nA,2026-01-05T00:00:00Z\nB,2026-01-05T05:00:00Z\nC,2026-01-05T09:00:00Z\n");
        CliRunner.Ok("ingest", csv, "--lake", lake);
        Assert.Equal(3L, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings"));
        Assert.Single(Directory.GetFiles(Path.Combine(lake, "_metrify", "ledger"), "*.json"));
        Directory.Delete(dir, true);
    }
}

public class CrashLeftoverTests
{
    [Fact]
    public void Temporary_files_of_a_dead_ingest_are_removed_and_live_ones_kept()
    {
        var dir = CliRunner.TempDir();
        var csv = Path.Combine(dir, "r.csv");
        var lake = Path.Combine(dir, "lake");
        File.WriteAllText(csv, "meter_id,reading_timestamp\nA,2026-01-05T00:00:00Z\n");
        var partition = Path.Combine(lake, "readings", "date=2026-01-05", "hour=00");
        Directory.CreateDirectory(partition);
        var dead = Path.Combine(partition, ".tmp-999999999-0a1b-w0-1.tmp");   // no such process
        var live = Path.Combine(partition, $".tmp-{Environment.ProcessId}-0a1b-w0-1.tmp");
        File.WriteAllText(dead, "half a parquet file");
        File.WriteAllText(live, "being written");
        CliRunner.Ok("ingest", csv, "--lake", lake);
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(live));
        Assert.Equal(1L, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings"));
        Directory.Delete(dir, true);
    }
}
