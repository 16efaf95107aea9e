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
public sealed record MetrifySettings(LakeOptions Lake, IngestOptions Ingest, MeterFrameOptions Frames, Engine.Quality.QualityOptions Quality)
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
        var lake = Bind<LakeOptions>(configuration, "Lake");
        var ingest = Bind<IngestOptions>(configuration, "Ingest");
        var frames = Bind<MeterFrameOptions>(configuration, "Frames");
        var quality = Bind<Engine.Quality.QualityOptions>(configuration, "Quality");
        var problems = lake.Validate().Concat(ingest.Validate()).Concat(frames.Validate()).Concat(quality.Validate()).ToList();
        if (problems.Count > 0) throw new OperatorException(problems[0]);
        frames = frames with { Keys = MeterKeyring.Load(frames.KeyFile, MeterKeyring.ProcessEnvironment()) };
        return new MetrifySettings(lake, ingest, frames, quality);
    }

    private static T Bind<T>(IConfiguration configuration, string section) where T : new()
    {
        var options = new T();
        try
        {
            configuration.GetSection(section).Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException e)
        {
            // The binder names the key in its message ("... 'Lake:Encoder' ..."); keep its first line.
            throw new OperatorException($"setting {section}: {e.Message.Split('\n')[0]}");
        }
        return options;
    }
}
