using System.Globalization;
using System.Text;
using Metrify.Connectors.DuckDb;
using Metrify.Engine.Lake;
using Metrify.Engine.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;

namespace Metrify.Connectors.Kafka.Tests;

/// <summary>The Kafka source in process, against librdkafka's mock cluster, checked with DuckDB reading the lake.</summary>
public class KafkaSourceTests
{
    internal static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "metrify-kafka-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Readings of <paramref name="meters"/> meters, <paramref name="perMessage"/> per message, keyed by meter.</summary>
    internal static List<(string Key, byte[] Value)> Readings(int meters, int perMeter, int perMessage)
    {
        var start = new DateTime(2026, 3, 1, 0, 0, 0, DateTimeKind.Utc);
        var messages = new List<(string, byte[])>();
        for (int m = 0; m < meters; m++)
        {
            var meter = $"SM{m:D6}";
            for (int i = 0; i < perMeter; i += perMessage)
            {
                var sb = new StringBuilder();
                for (int j = i; j < Math.Min(perMeter, i + perMessage); j++)
                    sb.Append(CultureInfo.InvariantCulture, $"{{\"meter_id\":\"{meter}\",\"reading_timestamp\":\"{start.AddMinutes(15 * j):yyyy-MM-ddTHH:mm:ssZ}\",\"consumption_kwh\":{m}.{j:D4}}}\n");
                messages.Add((meter, Encoding.UTF8.GetBytes(sb.ToString())));
            }
        }
        return messages;
    }

    internal static KafkaOptions Options(string servers, string topic, string group, double rollSeconds = 0.5) => new()
    {
        BootstrapServers = servers,
        GroupId = group,
        Topics = [new KafkaTopicOptions { Name = topic, Table = "readings", Format = "jsonl" }],
        RollSeconds = rollSeconds,
        Properties = new() { ["session.timeout.ms"] = "6000", ["log_level"] = "3" },
    };

    internal static Ingestor NewIngestor(string lake, bool seriesChecks = true) =>
        new(new LakeOptions { Root = lake }, new IngestOptions { MemoryBudgetBytes = 64L << 20, EncoderThreads = 1, DecodeThreads = 1 },
            quality: new() { SeriesChecks = seriesChecks });

    internal static long Count(string lake, string sql)
    {
        using var db = new DuckDbLake(lake);
        if (!db.Views.Contains("readings")) return 0;
        using var reader = db.Query(sql);
        reader.Read();
        return Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture);
    }

    /// <summary>Runs the source until <paramref name="done"/> holds (checked twice a second) or a minute passes.</summary>
    internal static void RunUntil(KafkaSource source, Func<bool> done)
    {
        using var stop = new CancellationTokenSource();
        Exception? died = null;
        var thread = new Thread(() =>
        {
            try { source.Run(stop.Token); }
            catch (Exception e) { died = e; }
        }) { IsBackground = true };
        thread.Start();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (!done())
            {
                if (died is not null) throw new InvalidOperationException("the source stopped with an error", died);
                if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException("the source did not get there within a minute");
                Thread.Sleep(500);
            }
        }
        finally
        {
            stop.Cancel();
            if (!thread.Join(TimeSpan.FromSeconds(30))) throw new TimeoutException("the source did not stop");
        }
    }

    [Fact]
    public void Every_message_lands_once_and_offsets_are_committed_after_the_files()
    {
        using var cluster = new MockCluster();
        var dir = TempDir();
        var lake = Path.Combine(dir, "lake");
        var messages = Readings(meters: 40, perMeter: 96, perMessage: 8);
        cluster.Produce("readings", messages);
        using (var ingestor = NewIngestor(lake))
        {
            var source = new KafkaSource(Options(cluster.BootstrapServers, "readings", "g1"), ingestor, null, NullLogger.Instance);
            RunUntil(source, () => Count(lake, "SELECT count(*) FROM readings") >= 40 * 96);
        }
        Assert.Equal(40 * 96, Count(lake, "SELECT count(*) FROM readings"));
        Assert.Equal(40 * 96, Count(lake, "SELECT count(DISTINCT (meter_id, reading_timestamp)) FROM readings"));
        // Every partition's committed offset is its end: the sum is the number of messages.
        Assert.Equal(messages.Count, cluster.Committed("g1", "readings").Sum());
        // File names carry topic, partition and the first and last offset of the messages they hold.
        var names = Directory.EnumerateFiles(Path.Combine(lake, "readings"), "*.parquet", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.All(names, n => Assert.Matches(@"^readings\+[0-3]\+\d{12}\+\d{12}(~\d+)?\.parquet$", n));

        // A second run of the group finds nothing new to write.
        var before = Directory.EnumerateFiles(lake, "*.parquet", SearchOption.AllDirectories).Count();
        using (var ingestor = NewIngestor(lake))
        {
            var source = new KafkaSource(Options(cluster.BootstrapServers, "readings", "g1"), ingestor, null, NullLogger.Instance);
            RunUntil(source, () => source.AssignedPartitions == 4);
        }
        Assert.Equal(before, Directory.EnumerateFiles(lake, "*.parquet", SearchOption.AllDirectories).Count());
        Assert.Equal(40 * 96, Count(lake, "SELECT count(*) FROM readings"));
    }

    /// <summary>Counts the failures the source reports.</summary>
    private sealed class FailureCounter : IKafkaSourceObserver
    {
        private int _failures;
        public int Failures => Volatile.Read(ref _failures);
        public void Published(string topic, int partition, IngestResult result, TimeSpan commitLatency, ReadOnlySpan<long> producedAtMs) { }
        public void Lag(string topic, int partition, long lag) { }
        public void Failed(string topic, Exception error) => Interlocked.Increment(ref _failures);
        public void MemoryInUse(long bytes) { }
        public void SeriesState(string source, int series, long bytes) { }
        public void Backpressure(TimeSpan waited) { }
        public void Assignment(int consumer, int partitions) { }
    }

    [Theory]
    [InlineData("data")]   // the failure reaches the consumer thread: a writer hands on its encoder's error
    [InlineData("ledger")] // it reaches the publisher's thread, with later chunks of the partition queued behind
    public void A_lake_that_fails_mid_stream_gets_every_message_once_when_it_is_back(string where)
    {
        using var cluster = new MockCluster();
        var lake = Path.Combine(TempDir(), "lake");
        const int meters = 1000;
        var messages = Readings(meters, perMeter: 192, perMessage: 8); // two days, 24 messages a meter, 17 MB
        var day1 = messages.Where((_, i) => i % 24 < 12).ToList();
        var day2 = messages.Where((_, i) => i % 24 >= 12).ToList();
        cluster.Produce("failing", day1);
        // A file where the second day's folder must go (every chunk with a row of that day fails), or where the
        // topic's ledger is (every chunk fails to be recorded).
        var blocker = where == "data" ? Path.Combine(lake, "readings", "date=2026-03-02")
            : Path.Combine(LakePaths.LedgerDirectory(lake), "streams", "kafka", "failing");
        var observer = new FailureCounter();
        int phase = 0;
        using (var ingestor = NewIngestor(lake))
        {
            // Chunks of 1 MB: several of a partition wait for the publisher when the first of them fails.
            var options = Options(cluster.BootstrapServers, "failing", "g6") with { RollBytes = 1 << 20 };
            var source = new KafkaSource(options, ingestor, observer, NullLogger.Instance);
            RunUntil(source, () =>
            {
                Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss.f} phase {phase} failures {observer.Failures} count {Count(lake, "SELECT count(*) FROM readings")}");
                switch (phase)
                {
                    case 0 when Count(lake, "SELECT count(*) FROM readings") >= meters * 96:
                        if (where == "ledger") Directory.Move(blocker, blocker + ".away");
                        File.WriteAllText(blocker, "not a folder");
                        cluster.Produce("failing", day2);
                        phase = 1;
                        return false;
                    case 1 when observer.Failures >= 2:
                        File.Delete(blocker); // the disk is back
                        if (where == "ledger") Directory.Move(blocker + ".away", blocker);
                        phase = 2;
                        return false;
                    case 2:
                        return Count(lake, "SELECT count(*) FROM readings") >= meters * 192;
                    default:
                        return false;
                }
            });
        }
        // Every reading once, none of them taken for a duplicate of itself (the failed chunks' checks were undone).
        Assert.Equal(meters * 192, Count(lake, "SELECT count(*) FROM readings"));
        Assert.Equal(meters * 192, Count(lake, "SELECT count(DISTINCT (meter_id, reading_timestamp)) FROM readings"));
        Assert.Equal(0, Count(lake, "SELECT count(*) FROM readings WHERE quality_flags <> 0"));
        Assert.Equal(messages.Count, cluster.Committed("g6", "failing").Sum());
    }

    [Fact]
    public void A_chunk_on_record_whose_file_never_landed_is_replayed_into_the_same_bytes()
    {
        using var cluster = new MockCluster();
        var lake = Path.Combine(TempDir(), "lake");
        cluster.Produce("meters", Readings(meters: 20, perMeter: 96, perMessage: 12));
        // Without series checks: their state lives in the process, so a chunk replayed by a new process may get
        // other flags and aggregate rows (docs/operations.md); the byte-for-byte replay is the data path's promise.
        using (var ingestor = NewIngestor(lake, seriesChecks: false))
        {
            var source = new KafkaSource(Options(cluster.BootstrapServers, "meters", "g2"), ingestor, null, NullLogger.Instance);
            RunUntil(source, () => Count(lake, "SELECT count(*) FROM readings") >= 20 * 96);
        }
        // A crash after the ledger entry and before the renames: the files of the newest chunk of partition 1 are missing.
        var ledger = new StreamLedger(lake, "kafka/meters/1");
        var newest = ledger.Entries()[^1];
        var originals = newest.Files.ToDictionary(f => f.Path, f => File.ReadAllBytes(Path.Combine(lake, f.Path)));
        foreach (var f in newest.Files) File.Delete(Path.Combine(lake, f.Path));
        Assert.True(Count(lake, "SELECT count(*) FROM readings") < 20 * 96);

        using (var ingestor = NewIngestor(lake, seriesChecks: false))
        {
            var source = new KafkaSource(Options(cluster.BootstrapServers, "meters", "g2"), ingestor, null, NullLogger.Instance);
            RunUntil(source, () => newest.Files.All(f => File.Exists(Path.Combine(lake, f.Path))));
        }
        foreach (var (path, bytes) in originals) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(lake, path)));
        Assert.Equal(20 * 96, Count(lake, "SELECT count(*) FROM readings"));
        Assert.Equal(20 * 96, Count(lake, "SELECT count(DISTINCT (meter_id, reading_timestamp)) FROM readings"));
    }

    [Fact]
    public void Bad_messages_are_quarantined_with_their_topic_partition_and_offset()
    {
        using var cluster = new MockCluster();
        var lake = Path.Combine(TempDir(), "lake");
        var good = Readings(meters: 1, perMeter: 4, perMessage: 4)[0].Value;
        cluster.Produce("bad", [("SM000000", good), ("SM000000", "{\"meter_id\":\"SM000000\",\"reading_timestamp\":\"yesterday\"}\n"u8.ToArray())]);
        using (var ingestor = NewIngestor(lake))
        {
            var source = new KafkaSource(Options(cluster.BootstrapServers, "bad", "g3"), ingestor, null, NullLogger.Instance);
            RunUntil(source, () => Directory.Exists(Path.Combine(lake, "quarantine")) && Count(lake, "SELECT count(*) FROM readings") >= 4);
        }
        using var db = new DuckDbLake(lake);
        using var reader = db.Query("SELECT source, line_number, byte_offset, reason FROM quarantine");
        Assert.True(reader.Read());
        Assert.Equal("kafka://bad/0", reader.GetString(0)); // both messages have one key: one partition
        Assert.Equal(1L, reader.GetInt64(1));             // the second message of the partition
        Assert.Equal(0L, reader.GetInt64(2));             // its first byte
        Assert.Equal("bad_timestamp", reader.GetString(3));
        Assert.False(reader.Read());
    }

    [Fact]
    public void P1_telegrams_as_messages_fill_readings_and_registers_and_a_bad_one_is_quarantined()
    {
        var telegram = File.ReadAllBytes(Conformance.MeterFrames("dsmr5-ndokter-2.txt"));
        var broken = telegram.ToArray();
        broken[broken.Length / 2] ^= 0x01; // one flipped bit: the CRC no longer matches
        using var cluster = new MockCluster();
        var lake = Path.Combine(TempDir(), "lake");
        var messages = Enumerable.Repeat(("meter", telegram), 9).Append(("meter", broken)).ToList();
        cluster.Produce("p1", messages);
        var options = Options(cluster.BootstrapServers, "p1", "g4") with { Topics = [new KafkaTopicOptions { Name = "p1", Format = "p1" }] };
        using (var ingestor = NewIngestor(lake))
        {
            var source = new KafkaSource(options, ingestor, null, NullLogger.Instance);
            RunUntil(source, () => Directory.Exists(Path.Combine(lake, "quarantine")) && Count(lake, "SELECT count(*) FROM readings") >= 1);
        }
        // The same telegram nine times is one reading: the repeats are identical duplicates, dropped.
        Assert.Equal(1, Count(lake, "SELECT count(*) FROM readings"));
        using var db = new DuckDbLake(lake);
        Assert.True(db.Scalar<long>("SELECT count(*) FROM registers") > 0);
        using var reader = db.Query("SELECT reason, line_number FROM quarantine");
        Assert.True(reader.Read());
        Assert.Equal("bad_checksum", reader.GetString(0));
        Assert.Equal(9L, reader.GetInt64(1)); // the tenth message of the partition
    }

    [Fact]
    public void Sml_frames_as_messages_fill_readings()
    {
        var hex = File.ReadAllText(Conformance.MeterFrames("streams", "sml-apollon77-stream.hex"));
        var bytes = Convert.FromHexString(string.Concat(hex.Where(char.IsAsciiHexDigit)));
        // Cut the capture into its frames: each starts with the escape sequence and version 1 marker.
        byte[] start = [0x1b, 0x1b, 0x1b, 0x1b, 0x01, 0x01, 0x01, 0x01];
        var starts = new List<int>();
        for (int at = bytes.AsSpan().IndexOf(start); at >= 0 && starts.Count < 21;)
        {
            starts.Add(at);
            int next = bytes.AsSpan(at + start.Length).IndexOf(start);
            at = next < 0 ? -1 : at + start.Length + next;
        }
        var frames = starts.Zip(starts.Skip(1), (a, b) => bytes[a..b]).ToList(); // 20 whole frames
        using var cluster = new MockCluster();
        var lake = Path.Combine(TempDir(), "lake");
        cluster.Produce("sml", frames.Select(f => ("meter", f)));
        var options = Options(cluster.BootstrapServers, "sml", "g5") with { Topics = [new KafkaTopicOptions { Name = "sml", Format = "sml" }] };
        using (var ingestor = NewIngestor(lake))
        {
            var source = new KafkaSource(options, ingestor, null, NullLogger.Instance);
            RunUntil(source, () => Count(lake, "SELECT count(*) FROM readings") >= frames.Count);
        }
        Assert.Equal(frames.Count, Count(lake, "SELECT count(*) FROM readings"));
        Assert.Equal(1, Count(lake, "SELECT count(DISTINCT meter_id) FROM readings")); // one meter's frames, each decoded
        Assert.False(Directory.Exists(Path.Combine(lake, "quarantine")));
    }
}
