using Metrify.Engine.Frames;
using Metrify.Engine.Pipeline;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Prometheus;

namespace Metrify.Cli.Commands;

/// <summary>
/// What <c>metrify run</c> exposes on <c>/metrics</c> (Prometheus text format, prometheus-net) and <c>/health</c>.
/// One registry per daemon, so daemons in one process (tests) do not share counters.
/// </summary>
internal sealed class DaemonMetrics : IHealthCheck
{
    /// <summary>Consecutive failed attempts (lake or file system) after which the daemon reports unhealthy.</summary>
    public const int UnhealthyAfter = 3;

    private readonly Counter _records, _bytes, _quarantined, _files, _inbox, _sinkFailures;
    private readonly Histogram _fileBytes, _ingestSeconds;
    private readonly Gauge _pending, _budget;
    private int _consecutiveFailures;
    private string? _lastFailure;

    public DaemonMetrics(long memoryBudgetBytes)
    {
        Registry = Metrics.NewCustomRegistry();
        var f = Metrics.WithCustomRegistry(Registry);
        _records = f.CreateCounter("metrify_records_total", "Rows written to the lake.", "source", "table");
        _bytes = f.CreateCounter("metrify_input_bytes_total", "Input bytes ingested.", "source");
        _quarantined = f.CreateCounter("metrify_quarantined_total", "Records or frames quarantined.", "source", "reason");
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
    }

    public CollectorRegistry Registry { get; }

    public void Record(InboxOutcome o)
    {
        if (o.WillRetry)
        {
            _sinkFailures.WithLabels("inbox").Inc();
            _lastFailure = o.Failure;
            Interlocked.Increment(ref _consecutiveFailures);
            return;
        }
        Interlocked.Exchange(ref _consecutiveFailures, 0);
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
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(Volatile.Read(ref _consecutiveFailures) >= UnhealthyAfter
            ? HealthCheckResult.Unhealthy($"the last {_consecutiveFailures} attempts failed: {_lastFailure}")
            : HealthCheckResult.Healthy());
}
