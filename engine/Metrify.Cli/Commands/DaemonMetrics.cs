using Metrify.Connectors.Kafka;
using Metrify.Engine.Frames;
using Metrify.Engine.Pipeline;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Prometheus;

namespace Metrify.Cli.Commands;

/// <summary>
/// What <c>metrify run</c> exposes on <c>/metrics</c> (Prometheus text format, prometheus-net) and <c>/health</c>.
/// One registry per daemon, so daemons in one process (tests) do not share counters.
/// </summary>
internal sealed class DaemonMetrics : IHealthCheck, IKafkaSourceObserver
{
    /// <summary>Consecutive failed attempts (lake or file system) after which the daemon reports unhealthy.</summary>
    public const int UnhealthyAfter = 3;

    private readonly Counter _records, _bytes, _quarantined, _duplicates, _files, _inbox, _sinkFailures, _scored, _clean, _missing;
    private readonly Histogram _fileBytes, _ingestSeconds, _kafkaCommit, _endToEnd, _backpressure;
    private readonly Gauge _pending, _budget, _lag, _assigned, _memory, _series, _seriesBytes, _lowestBatch;
    private int _consecutiveFailures;
    private string? _lastFailure;
    private string? _stopped;

    public DaemonMetrics(long memoryBudgetBytes)
    {
        Registry = Metrics.NewCustomRegistry();
        var f = Metrics.WithCustomRegistry(Registry);
        _records = f.CreateCounter("metrify_records_total", "Rows written to the lake.", "source", "table");
        _bytes = f.CreateCounter("metrify_input_bytes_total", "Input bytes ingested.", "source");
        _quarantined = f.CreateCounter("metrify_quarantined_total", "Records or frames quarantined.", "source", "reason");
        _duplicates = f.CreateCounter("metrify_duplicates_dropped_total", "Rows dropped as identical repeats of a row already taken (same series, instant and values).", "source");
        // The quality score over any window: increase(clean) / (increase(scored) + increase(missing)).
        _scored = f.CreateCounter("metrify_scored_rows_total", "Rows the series checks scored (docs/quality.md).", "source");
        _clean = f.CreateCounter("metrify_clean_rows_total", "Scored rows without a quality flag.", "source");
        _missing = f.CreateCounter("metrify_missing_intervals_total", "Readings a series' cadence expected that never came (gaps).", "source");
        _lowestBatch = f.CreateGauge("metrify_lowest_batch_quality_score", "Lowest quality score of one batch in the last published input or chunk.", "source");
        _files = f.CreateCounter("metrify_files_written_total", "Parquet files published.", "table");
        _fileBytes = f.CreateHistogram("metrify_file_bytes", "Size of the Parquet files published.",
            new HistogramConfiguration { LabelNames = ["table"], Buckets = Histogram.ExponentialBuckets(4096, 4, 10) });
        _ingestSeconds = f.CreateHistogram("metrify_commit_seconds", "Time from taking an input to its data being durable in the lake.",
            new HistogramConfiguration { LabelNames = ["source"], Buckets = Histogram.ExponentialBuckets(0.005, 2, 14) });
        _inbox = f.CreateCounter("metrify_inbox_files_total", "Inbox files by what became of them.", "outcome");
        _sinkFailures = f.CreateCounter("metrify_sink_failures_total", "Attempts that failed in the lake or file system (retried).", "source");
        _pending = f.CreateGauge("metrify_inbox_pending_files", "Files in the inbox at the last scan.");
        _budget = f.CreateGauge("metrify_memory_budget_bytes", "Column memory each table may hold (Ingest:MemoryBudgetBytes).");
        _budget.Set(memoryBudgetBytes);
        _lag = f.CreateGauge("metrify_kafka_consumer_lag", "Messages of a partition not yet read (high watermark minus position).", "topic", "partition");
        _assigned = f.CreateGauge("metrify_kafka_assigned_partitions", "Partitions each of the daemon's consumers (Kafka:Consumers) owns.", "consumer");
        _kafkaCommit = f.CreateHistogram("metrify_kafka_commit_seconds", "Time to publish a chunk: close its files, write its ledger entry, rename them.",
            new HistogramConfiguration { LabelNames = ["topic"], Buckets = Histogram.ExponentialBuckets(0.005, 2, 14) });
        _backpressure = f.CreateHistogram("metrify_kafka_backpressure_seconds", "Time a consumer stopped reading to wait for rolled chunks to be published.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });
        _endToEnd = f.CreateHistogram("metrify_kafka_end_to_end_seconds", "From a message's Kafka timestamp to its rows being durable in the lake.",
            new HistogramConfiguration { LabelNames = ["topic"], Buckets = Histogram.ExponentialBuckets(0.05, 1.5, 20) });
        _memory = f.CreateGauge("metrify_memory_in_use_bytes", "Column memory the open Kafka chunks and encoders hold.");
        _series = f.CreateGauge("metrify_series_tracked", "Meters, operators and stations whose check state and open aggregates a source holds.", "source");
        _seriesBytes = f.CreateGauge("metrify_series_state_bytes", "Bytes of that state.", "source");
        var gcPause = f.CreateGauge("metrify_gc_pause_seconds_total", "Time the garbage collector has paused the daemon's threads since it started.");
        var heap = f.CreateGauge("metrify_gc_heap_bytes",
            "Managed heap the garbage collector has committed (the rest of the resident memory is native: column buffers, librdkafka, code).");
        Registry.AddBeforeCollectCallback(() =>
        {
            gcPause.Set(GC.GetTotalPauseDuration().TotalSeconds);
            heap.Set(GC.GetGCMemoryInfo().TotalCommittedBytes);
        });
    }

    public CollectorRegistry Registry { get; }

    public void Record(InboxOutcome o)
    {
        if (o.WillRetry)
        {
            Failure("inbox", o.Failure);
            return;
        }
        Succeeded();
        _inbox.WithLabels(o.Failure is null ? "done" : "failed").Inc();
        if (o.Result is { } r && o.Failure is null) RecordStream("inbox", r);
    }

    public void Pending(int pending) => _pending.Set(pending);

    /// <summary>A published input: an inbox file, or a chunk of a stream source (a P1 bridge).</summary>
    public void RecordStream(string source, IngestResult r)
    {
        _bytes.WithLabels(source).Inc(r.Bytes);
        _ingestSeconds.WithLabels(source).Observe(r.Elapsed.TotalSeconds);
        foreach (var file in r.Files)
        {
            _files.WithLabels(file.Table).Inc();
            _fileBytes.WithLabels(file.Table).Observe(file.Bytes);
            _records.WithLabels(source, file.Table).Inc(file.Rows);
        }
        for (int i = 0; i < r.Stats.PerReason.Length; i++)
            if (r.Stats.PerReason[i] > 0) _quarantined.WithLabels(source, QuarantineReasons.Code((QuarantineReason)i)).Inc(r.Stats.PerReason[i]);
        if (r.Stats.DuplicatesDropped > 0) _duplicates.WithLabels(source).Inc(r.Stats.DuplicatesDropped);
        if (r.Stats.ScoredRows == 0) return;
        _scored.WithLabels(source).Inc(r.Stats.ScoredRows);
        _clean.WithLabels(source).Inc(r.Stats.CleanRows);
        _missing.WithLabels(source).Inc(r.Stats.MissingIntervals);
        _lowestBatch.WithLabels(source).Set(r.Stats.LowestBatchScore);
    }

    public void Published(string topic, int partition, IngestResult result, TimeSpan commitLatency, ReadOnlySpan<long> producedAtMs)
    {
        Succeeded();
        RecordStream("kafka:" + topic, result);
        _kafkaCommit.WithLabels(topic).Observe(commitLatency.TotalSeconds);
        var e2e = _endToEnd.WithLabels(topic);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        // Messages of one chunk were produced close together: observe runs of equal timestamps (to the 10 ms) at once.
        for (int i = 0; i < producedAtMs.Length;)
        {
            long t = producedAtMs[i] / 10;
            int j = i + 1;
            while (j < producedAtMs.Length && producedAtMs[j] / 10 == t) j++;
            if (producedAtMs[i] > 0) e2e.Observe(Math.Max(0, now - producedAtMs[i]) / 1000.0, j - i); // 0: a replay
            i = j;
        }
    }

    public void Lag(string topic, int partition, long lag) =>
        _lag.WithLabels(topic, partition.ToString(System.Globalization.CultureInfo.InvariantCulture)).Set(lag);

    public void Failed(string topic, Exception error) => Failure("kafka:" + topic, $"{error.GetType().Name}: {error.Message.Split('\n')[0]}");

    public void MemoryInUse(long bytes) => _memory.Set(bytes);

    public void Backpressure(TimeSpan waited) => _backpressure.Observe(waited.TotalSeconds);

    public void Assignment(int consumer, int partitions) =>
        _assigned.WithLabels(consumer.ToString(System.Globalization.CultureInfo.InvariantCulture)).Set(partitions);

    public void SeriesState(string source, int series, long bytes)
    {
        _series.WithLabels(source).Set(series);
        _seriesBytes.WithLabels(source).Set(bytes);
    }

    /// <summary>A source gave up for good (a fatal error): the daemon stays unhealthy until restarted.</summary>
    public void SourceStopped(string source, string reason)
    {
        _stopped = $"source {source} stopped: {reason}";
        _sinkFailures.WithLabels(source).Inc();
    }

    private void Succeeded() => Interlocked.Exchange(ref _consecutiveFailures, 0);

    private void Failure(string source, string? reason)
    {
        _sinkFailures.WithLabels(source).Inc();
        _lastFailure = reason;
        Interlocked.Increment(ref _consecutiveFailures);
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_stopped is not null ? HealthCheckResult.Unhealthy(_stopped)
            : Volatile.Read(ref _consecutiveFailures) >= UnhealthyAfter
            ? HealthCheckResult.Unhealthy($"the last {_consecutiveFailures} attempts failed: {_lastFailure}")
            : HealthCheckResult.Healthy());
}
