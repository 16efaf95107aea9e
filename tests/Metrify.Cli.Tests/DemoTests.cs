namespace Metrify.Cli.Tests;

public class DemoTests
{
    [Fact]
    public void Demo_simulates_ingests_and_answers_a_query()
    {
        var dir = CliRunner.TempDir();
        var r = CliRunner.Ok("demo", "--data", Path.Combine(dir, "demo-data"), "--lake", Path.Combine(dir, "lake"), "--meters", "20", "--days", "2");
        Assert.Contains("1. simulated", r.Stdout);
        Assert.Contains("2. ingested", r.Stdout);
        Assert.Contains("consumption_kwh", r.Stdout);
        Assert.Contains("2026-01-06", r.Stdout);
        Assert.True(CliRunner.Scalar<long>(Path.Combine(dir, "lake"), "SELECT count(*) FROM readings") > 3000);
    }
}
