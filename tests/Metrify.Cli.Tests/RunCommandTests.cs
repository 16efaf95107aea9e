using Metrify.Cli.Commands;
using Metrify.Cli.Settings;

namespace Metrify.Cli.Tests;

/// <summary><c>metrify run</c> with its inbox source, in process, stopped through its token as SIGTERM would.</summary>
public class RunCommandTests
{
    private static MetrifySettings Settings(string dir) => MetrifySettings.Load(null, new Dictionary<string, string?>
    {
        ["Lake:Root"] = Path.Combine(dir, "lake"),
        ["Inbox:Path"] = Path.Combine(dir, "inbox"),
        ["Inbox:PollSeconds"] = "0.1",
        ["Run:MetricsUrl"] = "http://127.0.0.1:0",
    });

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private static async Task WaitFor(Func<bool> condition, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException(what);
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Files_dropped_into_the_inbox_land_in_the_lake_and_move_to_done_or_failed()
    {
        var dir = CliRunner.TempDir();
        var settings = Settings(dir);
        using var stop = new CancellationTokenSource();
        string? url = null;
        var daemon = Task.Run(() => RunCommand.Run(settings, stop.Token, u => url = u));
        var inbox = Path.Combine(dir, "inbox");
        await WaitFor(() => url is not null, "the metrics endpoint");

        var data = Path.Combine(dir, "data");
        CliRunner.Ok("simulate", "-o", data, "--meters", "20", "--days", "1", "--format", "csv", "--no-faults");
        // Written elsewhere, then renamed in: the way to hand a daemon a file.
        File.Copy(Path.Combine(data, "readings.csv"), Path.Combine(inbox, "readings.csv.tmp"));
        File.Move(Path.Combine(inbox, "readings.csv.tmp"), Path.Combine(inbox, "readings.csv"));
        File.Copy(Path.Combine(CliRunner.RepoRoot(), "tests", "conformance", "meter-frames", "dsmr5be-ndokter-1.txt"), Path.Combine(inbox, "meter.p1"));
        File.WriteAllText(Path.Combine(inbox, "notes.csv"), "what,is,this\n1,2,3\n");

        await WaitFor(() => File.Exists(Path.Combine(inbox, "done", "readings.csv")) && File.Exists(Path.Combine(inbox, "done", "meter.p1"))
            && File.Exists(Path.Combine(inbox, "failed", "notes.csv.reason.txt")), "the three files to be processed");
        // The last 10 readings again, in a file of their own: the daemon remembers each meter, so they are dropped
        // as identical duplicates (and counted), not written twice.
        var lines = File.ReadAllLines(Path.Combine(data, "readings.csv"));
        File.WriteAllLines(Path.Combine(dir, "again.csv"), lines.Take(1).Concat(lines.TakeLast(10)));
        File.Move(Path.Combine(dir, "again.csv"), Path.Combine(inbox, "again.csv"));
        await WaitFor(() => File.Exists(Path.Combine(inbox, "done", "again.csv")), "the repeated readings to be processed");
        var metrics = await Http.GetStringAsync(url + "/metrics");
        Assert.Contains("metrify_records_total{source=\"inbox\",table=\"readings\"} 1921", metrics);
        Assert.Contains("metrify_duplicates_dropped_total{source=\"inbox\"} 10", metrics);
        Assert.Contains("metrify_series_tracked{source=\"inbox\"} 21", metrics); // 20 simulated meters and the P1 one
        Assert.Contains("metrify_inbox_files_total{outcome=\"done\"} 3", metrics);
        Assert.Contains("metrify_inbox_files_total{outcome=\"failed\"} 1", metrics);
        Assert.Contains("metrify_files_written_total{table=\"gas\"}", metrics);
        Assert.Equal("Healthy", await Http.GetStringAsync(url + "/health"));
        stop.Cancel();
        Assert.Equal(0, await daemon.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Empty(Directory.GetFiles(inbox));
        Assert.Contains("no table matches", File.ReadAllText(Path.Combine(inbox, "failed", "notes.csv.reason.txt")));
        var lake = settings.Lake.Root;
        Assert.Equal(20 * 96 + 1, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings"));
        // The quality score's terms: every reading scored once, the clean ones are those the lake holds unflagged.
        Assert.Contains("metrify_scored_rows_total{source=\"inbox\"} 1921", metrics);
        Assert.Contains("metrify_missing_intervals_total{source=\"inbox\"} 0", metrics);
        var clean = System.Text.RegularExpressions.Regex.Match(metrics, "metrify_clean_rows_total\\{source=\"inbox\"\\} (\\d+)");
        Assert.Equal(CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings WHERE quality_flags = 0"), long.Parse(clean.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(2, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM gas"));
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task A_failing_lake_keeps_the_file_turns_the_health_check_red_and_recovers()
    {
        var dir = CliRunner.TempDir();
        var settings = Settings(dir);
        using var stop = new CancellationTokenSource();
        string? url = null;
        var daemon = Task.Run(() => RunCommand.Run(settings, stop.Token, u => url = u));
        await WaitFor(() => url is not null, "the metrics endpoint");
        var lake = settings.Lake.Root;
        File.WriteAllText(lake, "not a folder"); // the lake cannot be written (a root test user ignores permissions)
        var inbox = Path.Combine(dir, "inbox");
        File.Copy(Path.Combine(CliRunner.RepoRoot(), "tests", "conformance", "meter-frames", "dsmr5-ndokter-2.txt"), Path.Combine(inbox, "meter.p1"));

        await WaitFor(() => Http.Send(new HttpRequestMessage(HttpMethod.Get, url + "/health")).StatusCode == System.Net.HttpStatusCode.ServiceUnavailable,
            "the health check to turn unhealthy");
        Assert.True(File.Exists(Path.Combine(inbox, "meter.p1"))); // kept for another try, not failed
        Assert.Contains("metrify_sink_failures_total{source=\"inbox\"}", await Http.GetStringAsync(url + "/metrics"));

        File.Delete(lake); // the disk is back
        await WaitFor(() => File.Exists(Path.Combine(inbox, "done", "meter.p1")), "the file to land after all");
        Assert.Equal("Healthy", await Http.GetStringAsync(url + "/health"));
        stop.Cancel();
        Assert.Equal(0, await daemon.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings"));
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task A_file_published_before_a_crash_is_not_ingested_twice()
    {
        var dir = CliRunner.TempDir();
        var settings = Settings(dir);
        var data = Path.Combine(dir, "data");
        CliRunner.Ok("simulate", "-o", data, "--meters", "10", "--days", "1", "--format", "csv", "--no-faults");
        var inbox = Path.Combine(dir, "inbox");
        Directory.CreateDirectory(inbox);
        var file = Path.Combine(inbox, "readings.csv");
        File.Copy(Path.Combine(data, "readings.csv"), file);
        // The daemon died after publishing but before moving the file: the data is in the lake, the file still here.
        CliRunner.Ok("ingest", file, "--lake", settings.Lake.Root);

        using var stop = new CancellationTokenSource();
        var daemon = Task.Run(() => RunCommand.Run(settings, stop.Token));
        await WaitFor(() => File.Exists(Path.Combine(inbox, "done", "readings.csv")), "the file to be moved to done");
        stop.Cancel();
        Assert.Equal(0, await daemon.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(10 * 96, CliRunner.Scalar<long>(settings.Lake.Root, "SELECT count(*) FROM readings"));
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task Telegrams_from_a_p1_bridge_over_tcp_land_in_chunks_and_the_daemon_reconnects()
    {
        var capture = File.ReadAllBytes(Path.Combine(CliRunner.RepoRoot(), "tests", "conformance", "meter-frames", "streams", "dsmr5-basjes-stream.txt"));
        int first = capture.AsSpan().IndexOf("\r\n/"u8) + 2;                 // the capture starts mid-telegram
        int half = capture.Length / 2 + capture.AsSpan(capture.Length / 2).IndexOf("\r\n/"u8) + 2; // a telegram boundary
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        // The bridge: one connection gets the first half slowly and drops, the next one gets the rest.
        var bridge = Task.Run(async () =>
        {
            foreach (var (from, to) in new[] { (first, half), (half, capture.Length) })
            {
                using var client = await listener.AcceptTcpClientAsync();
                var stream = client.GetStream();
                for (int at = from; at < to; at += 8192)
                {
                    await stream.WriteAsync(capture.AsMemory(at, Math.Min(8192, to - at)));
                    await Task.Delay(20);
                }
            }
        });

        var dir = CliRunner.TempDir();
        var settings = Settings(dir) with
        {
            P1Tcp = new MetrifySettings.P1TcpOptions { Endpoints = [$"127.0.0.1:{port}"], RollSeconds = 0.3, ReconnectMaxSeconds = 2 },
        };
        using var stop = new CancellationTokenSource();
        var daemon = Task.Run(() => RunCommand.Run(settings, stop.Token));
        await bridge.WaitAsync(TimeSpan.FromSeconds(60));
        var lake = settings.Lake.Root;
        await WaitFor(() => Directory.Exists(Path.Combine(lake, "readings")) && CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings") == 566,
            "all 566 telegrams");
        stop.Cancel();
        Assert.Equal(0, await daemon.WaitAsync(TimeSpan.FromSeconds(30)));
        listener.Stop();
        Assert.False(Directory.Exists(Path.Combine(lake, "quarantine"))); // the drop fell between two telegrams
        Assert.Equal(566, CliRunner.Scalar<long>(lake, "SELECT count(DISTINCT reading_timestamp) FROM readings"));
        Assert.True(Directory.GetFiles(Path.Combine(lake, "readings"), "*.parquet", SearchOption.AllDirectories).Length > 2); // several chunks
        Directory.Delete(dir, true);
    }

    [Fact]
    public void A_bad_configuration_fails_the_start_with_one_line_per_problem()
    {
        var dir = CliRunner.TempDir();
        var config = Path.Combine(dir, "metrify.json");
        File.WriteAllText(config, """{ "Inbox": { "PollSeconds": 0 }, "Run": { "ShutdownGraceSeconds": 0 } }""");
        var r = CliRunner.Run("run", "--config", config, "--lake", Path.Combine(dir, "lake"), "--inbox", Path.Combine(dir, "inbox"));
        Assert.Equal(2, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.Contains("Inbox:PollSeconds", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Run:ShutdownGraceSeconds", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.StartsWith("metrify: error: ", l));
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task Kafka_readings_land_and_the_metrics_show_records_lag_and_latency()
    {
        using var cluster = new MockCluster();
        var dir = CliRunner.TempDir();
        var data = Path.Combine(dir, "data");
        CliRunner.Ok("simulate", "-o", data, "--meters", "20", "--days", "1", "--no-faults", "--format", "jsonl",
            "--to", $"kafka://{cluster.BootstrapServers}/fleet", "--per-message", "8");
        var settings = MetrifySettings.Load(null, new Dictionary<string, string?>
        {
            ["Lake:Root"] = Path.Combine(dir, "lake"),
            ["Inbox:Path"] = Path.Combine(dir, "inbox"),
            ["Run:MetricsUrl"] = "http://127.0.0.1:0",
            ["Kafka:BootstrapServers"] = cluster.BootstrapServers,
            ["Kafka:Topics:0:Name"] = "fleet",
            ["Kafka:RollSeconds"] = "0.5",
            ["Kafka:Consumers"] = "2", // two consumers in one daemon: partitions shared, commits at shutdown
            ["Kafka:Properties:session.timeout.ms"] = "3000",
        });
        using var stop = new CancellationTokenSource();
        string? url = null;
        var daemon = Task.Run(() => RunCommand.Run(settings, stop.Token, u => url = u));
        await WaitFor(() => url is not null, "the metrics endpoint");
        await WaitFor(() => Http.GetStringAsync(url + "/metrics").Result.Contains("metrify_records_total{source=\"kafka:fleet\",table=\"readings\"} 1920"),
            "every reading to be counted");
        await WaitFor(() => Http.GetStringAsync(url + "/metrics").Result.Contains("metrify_kafka_consumer_lag{topic=\"fleet\",partition=\"0\"} 0"),
            "the lag to reach 0");
        var metrics = await Http.GetStringAsync(url + "/metrics");
        Assert.Contains("metrify_kafka_end_to_end_seconds_count{topic=\"fleet\"} 240", metrics); // one observation per message
        Assert.Contains("metrify_kafka_commit_seconds_count{topic=\"fleet\"}", metrics);
        Assert.Equal("Healthy", await Http.GetStringAsync(url + "/health"));
        stop.Cancel();
        Assert.Equal(0, await daemon.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(20 * 96, CliRunner.Scalar<long>(settings.Lake.Root, "SELECT count(*) FROM readings"));
        Assert.Equal(240, cluster.Committed("metrify", "fleet").Sum());
        Directory.Delete(dir, true);
    }
}
