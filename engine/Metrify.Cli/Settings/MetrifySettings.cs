using Metrify.Connectors.Kafka;
using Metrify.Engine.Frames.Meter;
using Metrify.Engine.Lake;
using Metrify.Engine.Pipeline;
using Microsoft.Extensions.Configuration;

namespace Metrify.Cli.Settings;

/// <summary>
/// Settings in the usual .NET layers, later wins: <c>metrify.json</c> (or <c>--config</c>), environment variables
/// <c>METRIFY__SECTION__KEY</c>, then command-line options. Sections map onto the engine's plain option records,
/// so the engine never sees <see cref="IConfiguration"/>. Every key is in <c>metrify.sample.json</c>.
/// </summary>
public sealed record MetrifySettings(LakeOptions Lake, IngestOptions Ingest, MeterFrameOptions Frames, Engine.Quality.QualityOptions Quality,
    InboxOptions Inbox, MetrifySettings.RunOptions Run, MetrifySettings.P1TcpOptions P1Tcp, KafkaOptions Kafka)
{
    public const string DefaultFile = "metrify.json";

    public static MetrifySettings Load(string? configFile, IReadOnlyDictionary<string, string?> overrides)
    {
        if (configFile is not null && !File.Exists(configFile))
            throw new OperatorException($"--config: file {configFile} does not exist.");
        var path = Path.GetFullPath(configFile ?? DefaultFile);
        IConfiguration configuration;
        try
        {
            configuration = new ConfigurationBuilder()
                .AddJsonFile(path, optional: configFile is null, reloadOnChange: false)
                .AddEnvironmentVariables("METRIFY__")
                .AddInMemoryCollection(overrides.Where(kv => kv.Value is not null))
                .Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException)
        {
            throw new OperatorException($"{path}: not valid JSON ({e.Message.Split('\n')[0]})");
        }
        var lake = Bind(configuration, "Lake", static c => c.Get<LakeOptions>(Strict));
        var ingest = Bind(configuration, "Ingest", static c => c.Get<IngestOptions>(Strict));
        // Frames:Keys is not a setting: the keys are loaded from Frames:KeyFile below, so the binder skips it.
#pragma warning disable SYSLIB1100, SYSLIB1101
        var frames = Bind(configuration, "Frames", static c => c.Get<MeterFrameOptions>(Strict));
#pragma warning restore SYSLIB1100, SYSLIB1101
        var quality = Bind(configuration, "Quality", static c => c.Get<Engine.Quality.QualityOptions>(Strict));
        var inbox = Bind(configuration, "Inbox", static c => c.Get<InboxOptions>(Strict));
        var run = Bind(configuration, "Run", static c => c.Get<RunOptions>(Strict));
        var tcp = Bind(configuration, "P1Tcp", static c => c.Get<P1TcpOptions>(Strict));
        var kafka = Bind(configuration, "Kafka", static c => c.Get<KafkaOptions>(Strict));
        var problems = lake.Validate().Concat(ingest.Validate()).Concat(frames.Validate()).Concat(quality.Validate())
            .Concat(inbox.Validate()).Concat(run.Validate()).Concat(tcp.Validate()).Concat(kafka.Validate()).ToList();
        // Every problem, one line each, so a start-up with a bad configuration is fixed in one go.
        if (problems.Count > 0) throw new OperatorException(string.Join(Environment.NewLine + "metrify: error: ", problems));
        frames = frames with { Keys = MeterKeyring.Load(frames.KeyFile, MeterKeyring.ProcessEnvironment()) };
        return new MetrifySettings(lake, ingest, frames, quality, inbox, run, tcp, kafka);
    }

    /// <summary>Settings of the <c>metrify run</c> daemon itself (the <c>Run</c> section).</summary>
    public sealed record RunOptions
    {
        /// <summary>On SIGTERM or Ctrl+C the file being ingested is finished and published; this is how long that may take.</summary>
        public int ShutdownGraceSeconds { get; set; } = 30;

        /// <summary>Where <c>/metrics</c> (Prometheus) and <c>/health</c> are served.</summary>
        public string MetricsUrl { get; set; } = "http://127.0.0.1:9464";

        public IEnumerable<string> Validate()
        {
            if (!Uri.TryCreate(MetricsUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                yield return $"Run:MetricsUrl must be an http:// address to listen on (is '{MetricsUrl}').";
            if (ShutdownGraceSeconds is < 1 or > 3600) yield return $"Run:ShutdownGraceSeconds must be between 1 and 3600 (is {ShutdownGraceSeconds}).";
        }
    }

    /// <summary>The P1-over-TCP source of <c>metrify run</c> (the <c>P1Tcp</c> section): network P1 bridges to read.</summary>
    public sealed record P1TcpOptions
    {
        /// <summary>Bridges as <c>host:port</c>; each gets its own connection, reconnected with backoff.</summary>
        public string[] Endpoints { get; set; } = [];

        /// <summary>What a connection decoded is published every this many seconds (and when it closes).</summary>
        public double RollSeconds { get; set; } = 60;

        /// <summary>Reconnect waits double from one second up to this.</summary>
        public double ReconnectMaxSeconds { get; set; } = 30;

        public IEnumerable<(string Host, int Port)> Parsed() => Endpoints.Select(e =>
        {
            int colon = e.LastIndexOf(':');
            return (e[..colon], int.Parse(e[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        });

        public IEnumerable<string> Validate()
        {
            foreach (var e in Endpoints)
            {
                int colon = e.LastIndexOf(':');
                if (colon <= 0 || !int.TryParse(e[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
                    yield return $"P1Tcp:Endpoints: '{e}' is not host:port.";
            }
            if (RollSeconds is < 0.1 or > 86400 || double.IsNaN(RollSeconds)) yield return $"P1Tcp:RollSeconds must be between 0.1 and 86400 (is {RollSeconds}).";
            if (ReconnectMaxSeconds is < 1 or > 3600 || double.IsNaN(ReconnectMaxSeconds)) yield return $"P1Tcp:ReconnectMaxSeconds must be between 1 and 3600 (is {ReconnectMaxSeconds}).";
        }
    }

    private static void Strict(BinderOptions options) => options.ErrorOnUnknownConfiguration = true;

    // Each section is bound by a call on its own type, which the configuration binder's source generator compiles
    // (no reflection at start-up, and what a native build needs).
    private static T Bind<T>(IConfiguration configuration, string section, Func<IConfiguration, T?> get) where T : class, new()
    {
        T options;
        try
        {
            options = get(configuration.GetSection(section)) ?? new T(); // null when the section is absent
        }
        catch (InvalidOperationException e)
        {
            // The binder names the key in its message ("... 'Lake:Encoder' ..."); keep its first line.
            throw new OperatorException($"setting {section}: {e.Message.Split('\n')[0]}");
        }
        return options;
    }
}
