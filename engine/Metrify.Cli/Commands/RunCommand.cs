using System.CommandLine;
using Metrify.Cli.Settings;
using Metrify.Connectors.Kafka;
using Metrify.Engine.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Metrify.Cli.Commands;

/// <summary>
/// <c>metrify run</c>: the long-running ingestion daemon on Microsoft.Extensions.Hosting. With no configuration it
/// watches <c>./inbox</c> and writes <c>./lake</c>. SIGTERM and Ctrl+C finish the file being ingested (within
/// <c>Run:ShutdownGraceSeconds</c>) and exit cleanly; logs are single-line and structured. Prometheus metrics on
/// <c>/metrics</c> and a health check on <c>/health</c> are served at <c>Run:MetricsUrl</c>.
/// </summary>
internal static class RunCommand
{
    public static Command Create(TextWriter stdout)
    {
        var config = CommonOptions.Config();
        var lake = CommonOptions.Lake();
        var inbox = new Option<string?>("--inbox") { Description = "Folder to watch (setting Inbox:Path, default ./inbox)." };
        var command = new Command("run", "Run the ingestion daemon: watch the inbox and ingest what arrives, until stopped.") { config, lake, inbox };
        command.SetAction(parse =>
        {
            var settings = CommonOptions.Load(parse, config, lake, new Dictionary<string, string?> { ["Inbox:Path"] = parse.GetValue(inbox) });
            return Run(settings, CancellationToken.None);
        });
        return command;
    }

    /// <summary>Runs until <paramref name="stop"/> is signalled or the process is asked to stop.</summary>
    /// <param name="listening">Told the address the metrics endpoint bound (tests use port 0).</param>
    internal static int Run(MetrifySettings settings, CancellationToken stop, Action<string>? listening = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = Directory.GetCurrentDirectory() });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.UseUrls(settings.Run.MetricsUrl);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(settings.Run.ShutdownGraceSeconds));
        builder.Services.AddSingleton(settings);
        // Built here, not lazily: a bad lake or inbox fails the start with its one line, before the host runs.
        var ingestor = new Ingestor(settings.Lake, settings.Ingest, settings.Frames, settings.Quality);
        var metrics = new DaemonMetrics(settings.Ingest.MemoryBudgetBytes);
        builder.Services.AddSingleton(ingestor);
        builder.Services.AddSingleton(metrics);
        builder.Services.AddSingleton(new InboxProcessor(ingestor, settings.Inbox));
        builder.Services.AddHostedService<InboxService>();
        builder.Services.AddHostedService<LargeObjectHeapService>();
        foreach (var (host, port) in settings.P1Tcp.Parsed())
        {
            // Each bridge gets an ingestor of its own: its chunk holds batches until it rolls, and must not starve the inbox.
            var own = new Ingestor(settings.Lake, settings.Ingest, settings.Frames, settings.Quality);
            builder.Services.AddSingleton<IHostedService>(sp => new P1TcpService(host, port, own, settings.P1Tcp, metrics,
                sp.GetRequiredService<ILogger<P1TcpService>>()));
        }
        if (settings.Kafka.Enabled)
        {
            // Its own ingestor: open chunks hold batches until they roll, and must not starve the inbox.
            var own = new Ingestor(settings.Lake, settings.Ingest, settings.Frames, settings.Quality);
            builder.Services.AddSingleton<IHostedService>(sp => new KafkaService(settings.Kafka, own, metrics,
                sp.GetRequiredService<ILogger<KafkaSource>>()));
        }
        builder.Services.AddHealthChecks().AddCheck("sources and sinks", metrics);
        using var app = builder.Build();
        app.MapMetrics("/metrics", metrics.Registry);
        app.MapHealthChecks("/health");
        try
        {
            app.StartAsync(stop).GetAwaiter().GetResult();
        }
        catch (IOException e)
        {
            throw new OperatorException($"Run:MetricsUrl: cannot listen on {settings.Run.MetricsUrl} ({e.Message.Split('\n')[0]})");
        }
        listening?.Invoke(app.Urls.First());
        app.WaitForShutdownAsync(stop).GetAwaiter().GetResult();
        return CliErrors.Ok;
    }

    /// <summary>
    /// Reads one network P1 bridge: connect, read telegrams through a <see cref="System.IO.Pipelines.PipeReader"/>,
    /// publish a chunk every <c>P1Tcp:RollSeconds</c>; when the connection drops or cannot be made, wait (one
    /// second, doubling to <c>P1Tcp:ReconnectMaxSeconds</c>) and connect again.
    /// </summary>
    private sealed class P1TcpService(string host, int port, Ingestor ingestor, MetrifySettings.P1TcpOptions options, DaemonMetrics metrics,
        ILogger<P1TcpService> log) : BackgroundService
    {
        public override void Dispose()
        {
            base.Dispose();
            ingestor.Dispose(); // its own pools: the bridge's ingestor is not shared
        }

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            var wait = TimeSpan.FromSeconds(1);
            string source = $"p1-tcp-{host}-{port}";
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    using var client = new System.Net.Sockets.TcpClient();
                    await client.ConnectAsync(host, port, stoppingToken).ConfigureAwait(false);
                    log.LogInformation("connected to P1 bridge {Host}:{Port}", host, port);
                    wait = TimeSpan.FromSeconds(1);
                    var pipe = System.IO.Pipelines.PipeReader.Create(client.GetStream());
                    await ingestor.IngestStreamAsync(source, pipe, Engine.Frames.Meter.MeterFrameFormat.P1, TimeSpan.FromSeconds(options.RollSeconds),
                        r =>
                        {
                            metrics.RecordStream(source, r);
                            log.LogInformation("published {Frames} telegrams from {Host}:{Port} ({Quarantined} quarantined), {Files} files",
                                r.Frames!.FramesAccepted, host, port, r.Frames.FramesQuarantined, r.Files.Count);
                        }, stoppingToken).ConfigureAwait(false);
                    await pipe.CompleteAsync().ConfigureAwait(false);
                    if (stoppingToken.IsCancellationRequested) break;
                    log.LogWarning("P1 bridge {Host}:{Port} closed the connection", host, port);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
                {
                    log.LogWarning("P1 bridge {Host}:{Port}: {Error}; retrying in {Seconds} s", host, port, e.Message, wait.TotalSeconds);
                }
                try
                {
                    await Task.Delay(wait, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                wait = TimeSpan.FromSeconds(Math.Min(wait.TotalSeconds * 2, options.ReconnectMaxSeconds));
            }
        }
    }

    /// <summary>
    /// Runs the Kafka source on a thread of its own (its consumer blocks). Stopping signals it and waits, within the
    /// host's grace period, for it to publish its open chunks, commit and leave the group.
    /// </summary>
    private sealed class KafkaService(KafkaOptions options, Ingestor ingestor, DaemonMetrics metrics, ILogger<KafkaSource> log) : IHostedService, IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Thread> _threads = [];
        private CountdownEvent? _leaving;
        private Exception? _failure;

        /// <summary>One thread per consumer (<c>Kafka:Consumers</c>), all in the group, sharing the ingestor: its
        /// memory budget, series state and lake.</summary>
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (options.Consumers > 1) _leaving = new CountdownEvent(options.Consumers);
            for (int i = 1; i <= options.Consumers; i++)
            {
                var source = new KafkaSource(options, ingestor, metrics, log, i);
                var thread = new Thread(() =>
                {
                    try { source.Run(_stop.Token, _leaving); }
                    catch (Exception e)
                    {
                        _failure = e;
                        metrics.SourceStopped("kafka", e.Message);
                        log.LogCritical(e, "the Kafka source stopped");
                    }
                }) { IsBackground = true, Name = $"metrify-kafka-{i}" };
                _threads.Add(thread);
                thread.Start();
            }
            return Task.CompletedTask;
        }

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            _stop.Cancel();
            while (_threads.Any(t => t.IsAlive) && !cancellationToken.IsCancellationRequested)
                await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
            if (_failure is not null) log.LogError("the Kafka source had failed: {Error}", _failure.Message);
        }

        public void Dispose()
        {
            _stop.Dispose();
            if (_threads.Any(t => t.IsAlive)) return; // a source still publishing past the grace period keeps its memory until exit
            _leaving?.Dispose();
            ingestor.Dispose();
        }
    }

    /// <summary>Scans the inbox every <c>Inbox:PollSeconds</c> and logs what each file became.</summary>
    private sealed class InboxService(InboxProcessor inbox, MetrifySettings settings, DaemonMetrics metrics, ILogger<InboxService> log) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            log.LogInformation("watching {Inbox}, writing {Lake}", inbox.Inbox, Path.GetFullPath(settings.Lake.Root));
            var poll = TimeSpan.FromSeconds(settings.Inbox.PollSeconds);
            var wait = poll;
            while (!stoppingToken.IsCancellationRequested)
            {
                // Ingesting blocks; it runs on a pool thread so the host stays responsive. A file in progress is
                // finished on shutdown: the scan only checks the token between files.
                var outcomes = await Task.Run(() => inbox.Scan(stoppingToken), CancellationToken.None).ConfigureAwait(false);
                metrics.Pending(inbox.Pending);
                var (series, bytes) = inbox.Ingestor.SeriesState;
                metrics.SeriesState("inbox", series, bytes);
                foreach (var o in outcomes)
                {
                    metrics.Record(o);
                    if (o.WillRetry)
                        log.LogError("could not ingest {File}, will try again: {Reason}", Path.GetFileName(o.File), o.Failure);
                    else if (o.Failure is null)
                        log.LogInformation("ingested {File}: {Rows} rows into {Table}, {Quarantined} quarantined, {Files} files, {Seconds:F2} s; moved to {MovedTo}",
                            Path.GetFileName(o.File), o.Result!.Stats.Rows, o.Result.Table?.Name, o.Result.Stats.Quarantined, o.Result.Files.Count,
                            o.Result.Elapsed.TotalSeconds, o.MovedTo);
                    else
                        log.LogWarning("failed {File}: {Reason}; moved to {MovedTo}", Path.GetFileName(o.File), o.Failure, o.MovedTo);
                }
                // While the lake keeps failing, back off (doubling up to a minute) instead of retrying every scan.
                wait = outcomes.Any(o => o.WillRetry) ? TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, TimeSpan.FromMinutes(1).Ticks)) : poll;
                try
                {
                    await Task.Delay(wait, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            log.LogInformation("stopped");
        }
    }
}
