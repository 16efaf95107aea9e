using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;

namespace Metrify.Bench.Daemon;

/// <summary>
/// <c>metrify run</c> consuming Kafka, as a separate process, against librdkafka's mock cluster in this process.
/// Two phases. Throughput: a backlog of readings is produced first, then the daemon drains it; readings/s counts from
/// its first published chunk to its last. Steady: a producer writes at a fixed rate while the daemon runs with a
/// 1-second roll; end-to-end latency (Kafka timestamp to durable file) comes from the daemon's own histogram, and its
/// RSS is sampled every second to show whether memory stays flat. Messages hold consecutive readings of one meter
/// (<c>--per-message</c>, 4 by default: an hour), keyed by meter, as a head-end system forwards them, as JSON lines or
/// (<c>--format csv</c>) header-less CSV lines. The mock broker
/// keeps little per partition, holds every fetch for <c>fetch.wait.max.ms</c> even when it has data (a real broker answers
/// at once when it has <c>fetch.min.bytes</c>; the daemon is given 10 ms: 1 ms made its fetch threads and the broker's
/// spin through a thousand fetches a second per partition), and shares the two cores with the daemon and the producer.
/// </summary>
public static class DaemonBench
{
    private static int PerMessage = 4;
    private static int Partitions = 4;
    private static bool Csv; // --format csv: header-less CSV lines (~60 bytes a reading) instead of JSON lines (~180)

    /// <summary>librdkafka settings for the daemon's consumers; <c>--property KEY=VALUE</c> adds or replaces one.</summary>
    private static readonly Dictionary<string, string> ConsumerProperties = new()
    {
        ["fetch.wait.max.ms"] = "10",
        ["queued.max.messages.kbytes"] = "1048576",
    };

    public static int Run(string[] args)
    {
        string metrify = Arg(args, "--metrify") ?? throw new ArgumentException("--metrify PATH/metrify (or a metrify.dll) is required");
        long backlog = long.Parse(Arg(args, "--readings") ?? "10000000", CultureInfo.InvariantCulture);
        int rate = int.Parse(Arg(args, "--rate") ?? "200000", CultureInfo.InvariantCulture);
        int seconds = int.Parse(Arg(args, "--seconds") ?? "60", CultureInfo.InvariantCulture);
        int meters = int.Parse(Arg(args, "--meters") ?? "10000", CultureInfo.InvariantCulture);
        PerMessage = int.Parse(Arg(args, "--per-message") ?? "4", CultureInfo.InvariantCulture);
        Partitions = int.Parse(Arg(args, "--partitions") ?? "4", CultureInfo.InvariantCulture);
        Csv = (Arg(args, "--format") ?? "jsonl") == "csv";
        for (int i = Array.IndexOf(args, "--property"); i >= 0 && i + 1 < args.Length; i = Array.IndexOf(args, "--property", i + 1))
        {
            var (key, value) = (args[i + 1][..args[i + 1].IndexOf('=')], args[i + 1][(args[i + 1].IndexOf('=') + 1)..]);
            ConsumerProperties[key] = value;
        }
        var work = Path.Combine(Path.GetTempPath(), "metrify-daemon-bench");
        if (Directory.Exists(work)) Directory.Delete(work, true);
        Directory.CreateDirectory(work);

        var config = new AdminClientConfig();
        config.Set("test.mock.num.brokers", "1");
        using var admin = new AdminClientBuilder(config).SetLogHandler((_, _) => { }).Build();
        var broker = admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers[0];
        string servers = $"{broker.Host}:{broker.Port}";
        if (Partitions != 4) foreach (var topic in new[] { "backlog", "steady" }) MockTopics.Create(admin, topic, Partitions);
        var fleet = new Fleet(meters);
        Console.WriteLine($"# metrify run consuming Kafka (mock cluster, {Partitions} partitions of 5 MB each), {Environment.ProcessorCount} cores, {meters:N0} meters, {(Csv ? "CSV" : "JSON lines")}, {DateTime.UtcNow:yyyy-MM-dd}");
        if (backlog > 0) Throughput(metrify, work, servers, fleet, backlog);
        if (seconds > 0) Steady(metrify, work, servers, fleet, rate, seconds);
        return 0;
    }

    private static void Throughput(string metrify, string work, string servers, Fleet fleet, long readings)
    {
        var clock = Stopwatch.StartNew();
        long produced = Produce(servers, "backlog", fleet, readings, rate: 0, CancellationToken.None);
        Console.WriteLine($"produced a backlog of {produced:N0} readings ({produced / PerMessage:N0} messages) in {clock.Elapsed.TotalSeconds:F1} s");
        // The mock broker keeps only the newest ~70 MB of a partition: what it kept is the backlog.
        long kept = 0;
        using (var probe = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = servers, GroupId = "probe" }).SetLogHandler((_, _) => { }).Build())
            for (int p = 0; p < Partitions; p++)
            {
                var w = probe.QueryWatermarkOffsets(new TopicPartition("backlog", p), TimeSpan.FromSeconds(10));
                kept += (w.High.Value - w.Low.Value) * PerMessage;
            }
        if (kept < produced) Console.WriteLine($"the broker kept the newest {kept:N0} of them");
        produced = kept;
        using var daemon = Start(metrify, work, "throughput", servers, "backlog", rollSeconds: 1);
        var started = Stopwatch.StartNew();
        double first = 0, last = 0;
        long peak = 0;
        while (started.Elapsed < TimeSpan.FromMinutes(10))
        {
            Thread.Sleep(100);
            peak = Math.Max(peak, daemon.Rss());
            long done = (long)daemon.Metric("metrify_records_total{source=\"kafka:backlog\",table=\"readings\"}");
            if ((int)(started.ElapsedMilliseconds / 100) % 50 == 0) Console.Error.WriteLine($"  {started.Elapsed.TotalSeconds:F0} s: {done:N0} readings landed, RSS {daemon.Rss() / 1e6:F0} MB");
            if (done > 0 && first == 0) first = started.Elapsed.TotalSeconds;
            if (done >= produced) { last = started.Elapsed.TotalSeconds; break; }
        }
        if (last == 0) throw new TimeoutException("the daemon did not drain the backlog within 10 minutes");
        daemon.Stop();
        Console.WriteLine($"throughput: {produced / (last - first):N0} readings/s from the first published chunk to the last ({last - first:F1} s); " +
            $"{produced / last:N0} readings/s counting start-up and the group join ({last:F1} s); peak RSS {peak / 1e6:F0} MB");
    }

    private static void Steady(string metrify, string work, string servers, Fleet fleet, int rate, int seconds)
    {
        // The topic exists once something is produced: one message before the daemon subscribes (a consumer that
        // subscribes to a topic not there yet waits for its next metadata refresh), then wait for the assignment.
        Produce(servers, "steady", fleet, PerMessage, 0, CancellationToken.None);
        using var daemon = Start(metrify, work, "steady", servers, "steady", rollSeconds: 1);
        var wait = Stopwatch.StartNew();
        // Every partition assigned: with several consumers the first to join takes all, and the rebalance when the
        // next joins would otherwise fall into the measured run.
        while (!EveryConsumerAssigned(daemon.Scrape()) && wait.Elapsed < TimeSpan.FromSeconds(90))
            Thread.Sleep(200);
        // Ten seconds at a tenth of the rate, then five at half of it: the daemon's first chunks pay for first-touch
        // memory and its heap grows to the rate, and the mock broker keeps so little (at 1 M readings/s a consumer
        // that stalls for about half a second finds its next offset gone) that a consumer which falls behind once never catches up again.
        long produced = PerMessage + Produce(servers, "steady", fleet, rate, rate / 10, CancellationToken.None);
        produced += Produce(servers, "steady", fleet, rate * 5L / 2, rate / 2, CancellationToken.None);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var producer = new Thread(() => produced += Produce(servers, "steady", fleet, long.MaxValue, rate, stop.Token)) { IsBackground = true };
        producer.Start();
        var rss = new List<long>();
        var heap = new List<double>();
        var clock = Stopwatch.StartNew();
        double maxLag = 0, maxPause = 0, paused = daemon.Metric("metrify_gc_pause_seconds_total");
        while (producer.IsAlive)
        {
            Thread.Sleep(1000);
            rss.Add(daemon.Rss());
            // Per second: the most messages one partition has not read yet, and the garbage collector's pauses.
            var now = daemon.Scrape();
            maxLag = Math.Max(maxLag, now.Split('\n').Where(l => l.StartsWith("metrify_kafka_consumer_lag{", StringComparison.Ordinal))
                .Select(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max());
            heap.Add(Value(now, "metrify_gc_heap_bytes"));
            double total = Value(now, "metrify_gc_pause_seconds_total");
            maxPause = Math.Max(maxPause, total - paused);
            paused = total;
        }
        while (daemon.Metric("metrify_records_total{source=\"kafka:steady\",table=\"readings\"}") < produced && clock.Elapsed.TotalSeconds < seconds + 120)
            Thread.Sleep(200);
        var text = daemon.Scrape();
        daemon.Stop();
        double landed = Value(text, "metrify_records_total{source=\"kafka:steady\",table=\"readings\"}");
        var (p50, p99) = Percentiles(text, "metrify_kafka_end_to_end_seconds_bucket{topic=\"steady\",le=\"");
        var minutes = rss.Chunk(60).Select(c => c.Max() / 1e6).ToList();
        var heapMinutes = heap.Chunk(60).Select(c => c.Max() / 1e6).ToList();
        var (_, publishP99) = Percentiles(text, "metrify_kafka_commit_seconds_bucket{topic=\"steady\",le=\"");
        var waits = Buckets(text, "metrify_kafka_backpressure_seconds_bucket{le=\"");
        double longWaits = waits[^1].Count - waits.LastOrDefault(b => b.Le <= 0.52).Count; // buckets double from 1 ms: 0.512 s
        Console.WriteLine($"steady: {produced:N0} readings produced at {rate:N0}/s for {seconds} s (after 10 s at {rate / 10:N0}/s and 5 s at {rate / 2:N0}/s), {landed:N0} landed; roll 1 s; " +
            $"end-to-end latency p50 {p50:F2} s, p99 {p99:F2} s; RSS peak per minute (MB): {string.Join(", ", minutes.Select(m => m.ToString("F0", CultureInfo.InvariantCulture)))} " +
            $"(of it managed heap: {string.Join(", ", heapMinutes.Select(m => m.ToString("F0", CultureInfo.InvariantCulture)))}); " +
            $"most unread in a partition {maxLag:N0} messages ({maxLag * PerMessage * Partitions / rate:F2} s); GC pauses at most {maxPause:F2} s in a second; " +
            $"publish p99 {publishP99:F2} s; consumers waited for the publisher {Value(text, "metrify_kafka_backpressure_seconds_sum"):F1} s in all, {longWaits:F0} times over 0.5 s");
    }

    /// <summary>Produces <paramref name="readings"/> readings (all at once, or at <paramref name="rate"/> per second).</summary>
    private static long Produce(string servers, string topic, Fleet fleet, long readings, int rate, CancellationToken stop)
    {
        var config = new ProducerConfig { BootstrapServers = servers, LingerMs = 50, BatchSize = 4 << 20, CompressionType = CompressionType.Lz4 };
        using var producer = new ProducerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
        long sent = 0;
        var clock = Stopwatch.StartNew();
        while (sent < readings && !stop.IsCancellationRequested)
        {
            var (key, value) = fleet.Next();
            try
            {
                producer.Produce(topic, new Message<byte[], byte[]> { Key = key, Value = value });
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(10));
                continue;
            }
            sent += PerMessage;
            if (rate > 0 && (sent & 1023) < PerMessage)
            {
                double ahead = sent / (double)rate - clock.Elapsed.TotalSeconds;
                if (ahead > 0) Thread.Sleep(TimeSpan.FromSeconds(ahead));
            }
        }
        producer.Flush(TimeSpan.FromMinutes(5));
        return sent;
    }

    /// <summary>Each of the daemon's consumers (one per core, as configured) owns partitions, all of them together.</summary>
    private static bool EveryConsumerAssigned(string metrics)
    {
        var owned = Enumerable.Range(1, Environment.ProcessorCount)
            .Select(c => Value(metrics, $"metrify_kafka_assigned_partitions{{consumer=\"{c}\"}}")).ToList();
        return owned.All(n => n > 0) && owned.Sum() == Partitions;
    }

    /// <summary>p50 and p99 from a Prometheus histogram's cumulative buckets, interpolating within a bucket.</summary>
    private static (double P50, double P99) Percentiles(string text, string prefix)
    {
        var buckets = Buckets(text, prefix);
        double total = buckets[^1].Count;
        double At(double q)
        {
            double target = q * total, lower = 0, below = 0;
            foreach (var (le, count) in buckets)
            {
                if (count >= target) return double.IsInfinity(le) ? lower : lower + (le - lower) * (target - below) / Math.Max(1, count - below);
                (lower, below) = (le, count);
            }
            return lower;
        }
        return (At(0.5), At(0.99));
    }

    /// <summary>A Prometheus histogram's cumulative buckets (upper bound, count).</summary>
    private static List<(double Le, double Count)> Buckets(string text, string prefix)
    {
        var buckets = new List<(double Le, double Count)>();
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var le = line[prefix.Length..line.IndexOf('"', prefix.Length)];
            var count = double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            buckets.Add((le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture), count));
        }
        if (buckets.Count == 0) buckets.Add((double.PositiveInfinity, 0));
        return buckets;
    }

    private static double Value(string text, string series)
    {
        foreach (var line in text.Split('\n'))
            if (line.StartsWith(series, StringComparison.Ordinal)) return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
        return 0;
    }

    private static DaemonProcess Start(string metrify, string work, string name, string servers, string topic, double rollSeconds)
    {
        var dir = Path.Combine(work, name);
        Directory.CreateDirectory(dir);
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        File.WriteAllText(Path.Combine(dir, "metrify.json"), $$"""
            {
              "Lake": { "Root": "{{Path.Combine(dir, "lake")}}" },
              "Inbox": { "Path": "{{Path.Combine(dir, "inbox")}}" },
              "Run": { "MetricsUrl": "http://127.0.0.1:{{port}}" },
              "Kafka": { "BootstrapServers": "{{servers}}", "GroupId": "{{name}}", "RollSeconds": {{rollSeconds.ToString(CultureInfo.InvariantCulture)}},
                         "Consumers": {{Environment.ProcessorCount}},
                         "Topics": [ { "Name": "{{topic}}", {{(Csv ? CsvTopic : "\"Format\": \"jsonl\"")}} } ],
                         "Properties": {{{string.Join(", ", ConsumerProperties.Select(p => $"\"{p.Key}\": \"{p.Value}\""))}}} }
            }
            """);
        return new DaemonProcess(metrify, dir, $"http://127.0.0.1:{port}");
    }

    private const string CsvTopic = "\"Format\": \"csv\", \"Columns\": [\"meter_id\", \"reading_timestamp\", \"consumption_kwh\", \"voltage_v\", \"current_a\", \"power_factor\", \"frequency_hz\"]";

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>A fleet's messages, made once so that producing costs little CPU: <c>--per-message</c> quarter-hours of
    /// one meter each, for one day, in time order; then the next day (the dates patched in a copy), so every meter's
    /// time moves on as a real fleet's does (a repeated day would be all late rows and duplicates to the checks).</summary>
    private sealed class Fleet
    {
        private readonly byte[][] _keys;
        private readonly byte[][] _values;
        private long _next;

        public Fleet(int meters)
        {
            _keys = Enumerable.Range(0, meters).Select(m => Encoding.UTF8.GetBytes($"SM{m:D6}")).ToArray();
            _values = new byte[96 / PerMessage * meters][];
            var day = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
            var sb = new StringBuilder(PerMessage * 200);
            for (int i = 0; i < _values.Length; i++)
            {
                int meter = i % meters;
                var start = day.AddMinutes(15 * PerMessage * (i / meters));
                sb.Clear();
                for (int q = 0; q < PerMessage; q++)
                    if (Csv)
                        sb.Append(CultureInfo.InvariantCulture,
                            $"SM{meter:D6},{start.AddMinutes(15 * q):yyyy-MM-ddTHH:mm:ssZ},{(meter % 97) * 0.013 + q * 0.001:F3},{229.5 + meter % 7:F1},{(meter % 13) * 0.21:F2},0.95,50.01\n");
                    else
                        sb.Append(CultureInfo.InvariantCulture,
                            $"{{\"meter_id\":\"SM{meter:D6}\",\"reading_timestamp\":\"{start.AddMinutes(15 * q):yyyy-MM-ddTHH:mm:ssZ}\",\"consumption_kwh\":{(meter % 97) * 0.013 + q * 0.001:F3},\"voltage_v\":{229.5 + meter % 7:F1},\"current_a\":{(meter % 13) * 0.21:F2},\"power_factor\":0.95,\"frequency_hz\":50.01}}\n");
                _values[i] = Encoding.UTF8.GetBytes(sb.ToString());
            }
        }

        private static readonly byte[] FirstDay = "2026-01-01"u8.ToArray();

        public (byte[] Key, byte[] Value) Next()
        {
            long cycle = _next / _values.Length, n = _next++ % _values.Length;
            var value = _values[n];
            if (cycle == 0) return (_keys[n % _keys.Length], value);
            // The producer copies the value before Produce returns, so each call may get a fresh copy to patch.
            var copy = value.ToArray();
            Span<byte> date = stackalloc byte[10];
            new DateTime(2026, 1, 1).AddDays(cycle).TryFormat(date, out _, "yyyy-MM-dd", CultureInfo.InvariantCulture);
            var span = copy.AsSpan();
            for (int i = span.IndexOf(FirstDay); i >= 0;)
            {
                date.CopyTo(span[i..]);
                int next = span[(i + 10)..].IndexOf(FirstDay);
                i = next < 0 ? -1 : i + 10 + next;
            }
            return (_keys[n % _keys.Length], copy);
        }
    }

    /// <summary><c>metrify run</c> as a child process, read through its metrics endpoint and /proc.</summary>
    private sealed class DaemonProcess : IDisposable
    {
        private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
        private readonly Process _process;
        private readonly string _url;

        public DaemonProcess(string metrify, string dir, string url)
        {
            _url = url;
            var (program, prefix) = MetrifyLauncher.For(metrify);
            var info = new ProcessStartInfo(program, [.. prefix, "run", "--config", Path.Combine(dir, "metrify.json")])
            {
                WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true,
            };
            _process = Process.Start(info)!;
            var log = new StreamWriter(Path.Combine(dir, "daemon.log")) { AutoFlush = true };
            _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
            _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine(e.Data); };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public string Scrape()
        {
            try { return Http.GetStringAsync(_url + "/metrics").GetAwaiter().GetResult(); }
            catch (HttpRequestException) { return ""; } // not listening yet
        }

        public double Metric(string series) => Value(Scrape(), series);

        /// <summary>Resident memory of the daemon now (VmRSS).</summary>
        public long Rss()
        {
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            return 0;
        }

        public void Stop()
        {
            _process.Kill(entireProcessTree: false);
            _process.WaitForExit();
        }

        public void Dispose()
        {
            if (!_process.HasExited) Stop();
            _process.Dispose();
        }
    }
}
