using System.CommandLine;
using Metrify.Cli.Settings;

namespace Metrify.Cli.Commands;

/// <summary>Options several commands share, and how they override configuration keys.</summary>
internal static class CommonOptions
{
    public static Option<string?> Config() => new("--config") { Description = "Settings file (default: ./metrify.json if present)." };

    public static Option<string?> Lake() => new("--lake") { Description = "Lake root folder (setting Lake:Root, default ./lake)." };

    public static MetrifySettings Load(ParseResult parse, Option<string?> config, Option<string?> lake,
        Dictionary<string, string?>? more = null)
    {
        var overrides = more ?? new Dictionary<string, string?>();
        overrides["Lake:Root"] = parse.GetValue(lake);
        return MetrifySettings.Load(parse.GetValue(config), overrides);
    }
}
