using System.CommandLine;
using Metrify.Cli.Settings;
using Metrify.Engine.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Metrify.Cli.Commands;

/// <summary>
/// <c>metrify run</c>: the long-running ingestion daemon on Microsoft.Extensions.Hosting. With no configuration it
/// watches <c>./inbox</c> and writes <c>./lake</c>. SIGTERM and Ctrl+C finish the file being ingested (within
/// <c>Run:ShutdownGraceSeconds</c>) and exit cleanly; logs are single-line and structured.
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
    internal static int Run(MetrifySettings settings, CancellationToken stop)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = Directory.GetCurrentDirectory() });
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(settings.Run.ShutdownGraceSeconds));
        builder.Services.AddSingleton(settings);
        // Built here, not lazily: a bad lake or inbox fails the start with its one line, before the host runs.
        var ingestor = new Ingestor(settings.Lake, settings.Ingest, settings.Frames, settings.Quality);
        builder.Services.AddSingleton(ingestor);
        builder.Services.AddSingleton(new InboxProcessor(ingestor, settings.Inbox));
        builder.Services.AddHostedService<InboxService>();
        using var host = builder.Build();
        host.RunAsync(stop).GetAwaiter().GetResult();
        return CliErrors.Ok;
    }

    /// <summary>Scans the inbox every <c>Inbox:PollSeconds</c> and logs what each file became.</summary>
    private sealed class InboxService(InboxProcessor inbox, MetrifySettings settings, ILogger<InboxService> log) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            log.LogInformation("watching {Inbox}, writing {Lake}", inbox.Inbox, Path.GetFullPath(settings.Lake.Root));
            var poll = TimeSpan.FromSeconds(settings.Inbox.PollSeconds);
            while (!stoppingToken.IsCancellationRequested)
            {
                // Ingesting blocks; it runs on a pool thread so the host stays responsive. A file in progress is
                // finished on shutdown: the scan only checks the token between files.
                var outcomes = await Task.Run(() => inbox.Scan(stoppingToken), CancellationToken.None).ConfigureAwait(false);
                foreach (var o in outcomes)
                {
                    if (o.Failure is null)
                        log.LogInformation("ingested {File}: {Rows} rows into {Table}, {Quarantined} quarantined, {Files} files, {Seconds:F2} s; moved to {MovedTo}",
                            Path.GetFileName(o.File), o.Result!.Stats.Rows, o.Result.Table?.Name, o.Result.Stats.Quarantined, o.Result.Files.Count,
                            o.Result.Elapsed.TotalSeconds, o.MovedTo);
                    else
                        log.LogWarning("failed {File}: {Reason}; moved to {MovedTo}", Path.GetFileName(o.File), o.Failure, o.MovedTo);
                }
                try
                {
                    await Task.Delay(poll, stoppingToken).ConfigureAwait(false);
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
