using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Metrify.Cli.Tests;

/// <summary>Configuration, data and checks shared by the tests that run <c>metrify run</c> as a separate process.</summary>
internal static class Daemons
{
    public const int Lives = 20;
    public static readonly DateTime Start = new(2026, 3, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <param name="instance">A static member id (<c>group.instance.id</c>): a daemon restarted under the same id takes
    /// its place in the group at once instead of waiting out the dead one's session.</param>
    public static string WriteConfig(string dir, string? kafkaServers, string group = "metrify-crash", string? instance = null)
    {
        var config = new Dictionary<string, object>
        {
            ["Lake"] = new { Root = Path.Combine(dir, "lake") },
            ["Inbox"] = new { Path = Path.Combine(dir, "inbox"), PollSeconds = 0.1 },
            ["Run"] = new { MetricsUrl = "http://127.0.0.1:0", ShutdownGraceSeconds = 20 },
            ["Ingest"] = new { MemoryBudgetBytes = 64L << 20, EncoderThreads = 1, DecodeThreads = 1 },
        };
        if (kafkaServers is not null)
            config["Kafka"] = new
            {
                BootstrapServers = kafkaServers,
                GroupId = group,
                // One consumer per daemon (the default, said here because these tests are about daemons, processes,
                // in a group); several consumers in one daemon are covered by RunCommandTests, which runs two.
                Consumers = 1,
                RollSeconds = 0.5,
                Topics = new[] { new { Name = "readings", Table = "readings", Format = "jsonl" } },
                Properties = instance is null
                    ? new Dictionary<string, string> { ["session.timeout.ms"] = "3000", ["log_level"] = "3" }
                    : new Dictionary<string, string> { ["session.timeout.ms"] = "3000", ["log_level"] = "3", ["group.instance.id"] = instance },
            };
        var path = Path.Combine(dir, "metrify.json");
        File.WriteAllText(path, JsonSerializer.Serialize(config));
        return path;
    }

    /// <summary>One wave of readings: <paramref name="meters"/> meters of their own × 8 quarter hours, one message per
    /// meter keyed by it. Each reading's key and value are added to <paramref name="expected"/>.</summary>
    public static List<(string Key, byte[] Value)> Wave(int wave, int meters, Dictionary<(string, long), double> expected)
    {
        var messages = new List<(string, byte[])>();
        for (int m = 0; m < meters; m++)
        {
            var meter = $"SM{wave:D3}{m:D3}";
            var sb = new StringBuilder();
            for (int j = 0; j < 8; j++)
            {
                var at = Start.AddMinutes(15 * j);
                double value = wave * 1000 + m + j / 100.0;
                sb.Append(CultureInfo.InvariantCulture, $"{{\"meter_id\":\"{meter}\",\"reading_timestamp\":\"{at:yyyy-MM-ddTHH:mm:ssZ}\",\"consumption_kwh\":{value.ToString("0.00", CultureInfo.InvariantCulture)}}}\n");
                expected[(meter, (at - DateTime.UnixEpoch).Ticks / 10)] = value;
                if (j % 8 == 7)
                {
                    messages.Add((meter, Encoding.UTF8.GetBytes(sb.ToString())));
                    sb.Clear();
                }
            }
        }
        return messages;
    }

    /// <summary>Every expected reading is in the lake exactly once, with its value; nothing else is.</summary>
    public static void AssertExactlyOnce(string lake, Dictionary<(string, long), double> expected, string log)
    {
        var rows = CliRunner.Rows(lake, "SELECT meter_id, epoch_us(reading_timestamp), consumption_kwh FROM readings");
        var seen = new HashSet<(string, long)>();
        foreach (var r in rows)
        {
            var key = ((string)r[0]!, Convert.ToInt64(r[1], CultureInfo.InvariantCulture));
            Assert.True(seen.Add(key), $"{key} is in the lake twice\n{Tail(log)}");
            Assert.True(expected.TryGetValue(key, out var value), $"{key} was never produced");
            Assert.Equal(value, (double)r[2]!, 6);
        }
        Assert.True(expected.Count == rows.Count, $"{expected.Count - rows.Count} readings are missing\n{Tail(log)}");
    }

    public static long CountReadings(string lake)
    {
        try { return CliRunner.Scalar<long>(lake, "SELECT count(*) FROM readings"); }
        catch (Exception) { return 0; } // no file yet, or a file renamed while DuckDB listed the folder
    }

    public static string Tail(string log) => string.Join('\n', log.Split('\n').TakeLast(40));

    public static void WaitFor(Func<bool> condition, TimeSpan limit, Func<string> what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit) throw new TimeoutException(what());
            Thread.Sleep(200);
        }
    }
}

/// <summary>
/// <c>metrify run</c> consuming Kafka (librdkafka's mock cluster, in this process) while a producer keeps writing,
/// killed with SIGKILL at random moments and restarted, 20 times; at the end the lake must hold every record exactly
/// once (count, and each record's key and value) and the committed offsets must be the ends of the partitions.
/// </summary>
public class KafkaCrashTests
{
    [Fact]
    public void Kafka_records_land_exactly_once_however_often_the_daemon_is_killed()
    {
        using var cluster = new MockCluster();
        var dir = CliRunner.TempDir();
        var config = Daemons.WriteConfig(dir, cluster.BootstrapServers);
        var lake = Path.Combine(dir, "lake");
        var expected = new Dictionary<(string, long), double>();
        int messages = 0;
        using var producing = new CancellationTokenSource();
        var producer = new Thread(() =>
        {
            for (int wave = 0; !producing.IsCancellationRequested; wave++)
            {
                List<(string, byte[])> batch;
                lock (expected) batch = Daemons.Wave(wave, meters: 200, expected);
                cluster.Produce("readings", batch);
                Interlocked.Add(ref messages, batch.Count);
                Thread.Sleep(500);
            }
        });
        producer.Start();
        var random = new Random(20261127);
        var log = new StringBuilder();
        int working = 0;
        for (int life = 0; life < Daemons.Lives; life++)
        {
            using var daemon = new DaemonProcess(config, dir);
            daemon.WaitUntilStarted(TimeSpan.FromSeconds(20));
            // Every fourth life is killed at a random moment while it joins the group (about 3 s, longer on a busy
            // host); the others at a random moment after their partitions were assigned, while they consume.
            if (life % 4 == 3) Thread.Sleep(random.Next(200, 3000));
            else
            {
                var joining = System.Diagnostics.Stopwatch.StartNew();
                while (!daemon.Output.Contains(" assigned ", StringComparison.Ordinal) && joining.Elapsed < TimeSpan.FromSeconds(30))
                    Thread.Sleep(50);
                Thread.Sleep(random.Next(0, 3000));
            }
            daemon.Kill();
            log.AppendLine($"--- life {life}").Append(daemon.Output);
            if (daemon.Output.Contains(" assigned ", StringComparison.Ordinal)) working++;
        }
        producing.Cancel();
        producer.Join();
        // The kills must land while the daemon works, not only before it joins the group.
        Assert.True(working >= Daemons.Lives / 2, $"only {working} lives got partitions\n{Daemons.Tail(log.ToString())}");
        using (var last = new DaemonProcess(config, dir))
        {
            // Caught up: every record in the lake, and the group's offsets at the ends of the partitions. The lake
            // can be complete before the offsets are: the killed lives published chunks they did not commit, and the
            // last one first replays them (to rebuild the meters' check state) and commits only then.
            Daemons.WaitFor(() => Daemons.CountReadings(lake) >= expected.Count
                    && cluster.Committed("metrify-crash", "readings").Sum() == messages, TimeSpan.FromSeconds(90),
                () => $"{Daemons.CountReadings(lake)} of {expected.Count} readings landed, offsets committed to "
                    + $"{cluster.Committed("metrify-crash", "readings").Sum()} of {messages}\n{Daemons.Tail(last.Output)}");
            Assert.Equal(0, last.Terminate(TimeSpan.FromSeconds(30)));
            log.AppendLine("--- last").Append(last.Output);
        }
        Daemons.AssertExactlyOnce(lake, expected, log.ToString());
        // Stopping did not move them back.
        Assert.Equal(messages, cluster.Committed("metrify-crash", "readings").Sum());
    }
}

/// <summary>The inbox source under the same treatment: files dropped at once, the daemon killed 20 times while it
/// ingests them; every file ends in done/ and every record is in the lake once.</summary>
public class InboxCrashTests
{
    [Fact]
    public void Inbox_files_land_exactly_once_however_often_the_daemon_is_killed()
    {
        var dir = CliRunner.TempDir();
        var config = Daemons.WriteConfig(dir, null);
        var lake = Path.Combine(dir, "lake");
        var inbox = Path.Combine(dir, "inbox");
        Directory.CreateDirectory(inbox);
        var expected = new Dictionary<(string, long), double>();
        void Drop(int f)
        {
            var sb = new StringBuilder("meter_id,reading_timestamp,consumption_kwh\n");
            for (int i = 0; i < 20_000; i++)
            {
                var meter = $"SM{f:D3}{i % 200:D3}";
                var at = Daemons.Start.AddMinutes(15 * (i / 200));
                double value = f * 1000 + i / 100.0;
                sb.Append(CultureInfo.InvariantCulture, $"{meter},{at:yyyy-MM-ddTHH:mm:ssZ},{value.ToString("0.00", CultureInfo.InvariantCulture)}\n");
                expected[(meter, (at - DateTime.UnixEpoch).Ticks / 10)] = value;
            }
            var temp = Path.Combine(inbox, $"batch-{f:D2}.csv.tmp");
            File.WriteAllText(temp, sb.ToString());
            File.Move(temp, Path.Combine(inbox, $"batch-{f:D2}.csv"));
        }
        var random = new Random(5);
        var log = new StringBuilder();
        int interrupted = 0;
        for (int life = 0; life < Daemons.Lives; life++)
        {
            Drop(2 * life);
            Drop(2 * life + 1);
            using var daemon = new DaemonProcess(config, dir);
            daemon.WaitUntilStarted(TimeSpan.FromSeconds(20));
            Thread.Sleep(random.Next(50, 800));
            daemon.Kill();
            log.AppendLine($"--- life {life}").Append(daemon.Output);
            if (daemon.Output.Contains("Application started", StringComparison.Ordinal) && Directory.GetFiles(inbox).Length > 0) interrupted++;
        }
        // The kills must land while the daemon works, not only before it starts or after it is done.
        Assert.True(interrupted >= Daemons.Lives / 4, $"only {interrupted} lives were killed with work left\n{Daemons.Tail(log.ToString())}");
        using (var last = new DaemonProcess(config, dir))
        {
            Daemons.WaitFor(() => Directory.GetFiles(inbox).Length == 0, TimeSpan.FromSeconds(90),
                () => $"files still in the inbox: {string.Join(", ", Directory.GetFiles(inbox).Select(Path.GetFileName))}\n{Daemons.Tail(last.Output)}");
            Assert.Equal(0, last.Terminate(TimeSpan.FromSeconds(30)));
        }
        Assert.Equal(2 * Daemons.Lives, Directory.GetFiles(Path.Combine(inbox, "done")).Length);
        Assert.Empty(Directory.GetFiles(Path.Combine(inbox, "failed")));
        Daemons.AssertExactlyOnce(lake, expected, log.ToString());
    }
}

/// <summary>Scale-out on Kafka: two daemons in one consumer group share the partitions; when one dies, the other takes
/// its partitions over from the ledger in the lake, with nothing lost and nothing doubled.</summary>
public class KafkaGroupTests
{
    [Fact]
    public void When_one_of_two_daemons_in_a_group_dies_the_other_takes_its_partitions_over()
    {
        using var cluster = new MockCluster();
        var dir = CliRunner.TempDir();
        var config = Daemons.WriteConfig(dir, cluster.BootstrapServers, "metrify-pair");
        var lake = Path.Combine(dir, "lake");
        var expected = new Dictionary<(string, long), double>();
        cluster.Produce("readings", Daemons.Wave(0, meters: 40, expected));
        using var a = new DaemonProcess(config, dir);
        using var b = new DaemonProcess(config, dir);
        static int Assigned(string output) => output.Split('\n').LastOrDefault(l => l.Contains(" assigned ", StringComparison.Ordinal))?.Split("assigned ")[1].Split(',').Length ?? 0;
        Daemons.WaitFor(() => Assigned(a.Output) > 0 && Assigned(b.Output) > 0 && Assigned(a.Output) + Assigned(b.Output) == 4, TimeSpan.FromSeconds(60),
            () => $"the two daemons did not share the partitions\nA:\n{Daemons.Tail(a.Output)}\nB:\n{Daemons.Tail(b.Output)}");
        Daemons.WaitFor(() => Daemons.CountReadings(lake) >= expected.Count, TimeSpan.FromSeconds(60), () => "the first wave did not land");
        a.Kill();
        for (int wave = 1; wave < 4; wave++) cluster.Produce("readings", Daemons.Wave(wave, meters: 40, expected));
        Daemons.WaitFor(() => Daemons.CountReadings(lake) >= expected.Count, TimeSpan.FromSeconds(90),
            () => $"only {Daemons.CountReadings(lake)} of {expected.Count} readings landed\nB:\n{Daemons.Tail(b.Output)}");
        Assert.Equal(4, Assigned(b.Output));
        Assert.Equal(0, b.Terminate(TimeSpan.FromSeconds(30)));
        Daemons.AssertExactlyOnce(lake, expected, "A:\n" + a.Output + "\nB:\n" + b.Output);
    }
}
