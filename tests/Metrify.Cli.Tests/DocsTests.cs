using System.Reflection;
using System.Text;
using System.Text.Json;
using Metrify.Engine.Columnar;
using Metrify.Engine.Lake;
using Metrify.Engine.Pipeline;

namespace Metrify.Cli.Tests;

/// <summary>docs/schema.md and metrify.sample.json must say what the code does.</summary>
public class DocsTests
{
    public static string Render(TableSpec table)
    {
        var sb = new StringBuilder();
        sb.Append("| column | Arrow type | Parquet type | unit | null | meaning |\n|---|---|---|---|---|---|\n");
        foreach (var c in table.Columns)
        {
            var (arrow, parquet) = c.Kind switch
            {
                ColumnKind.Utf8 => ("utf8", "BYTE_ARRAY (STRING)"),
                ColumnKind.Binary => ("binary", "BYTE_ARRAY"),
                ColumnKind.TimestampMicros => ("timestamp[us, UTC]", "INT64 TIMESTAMP(MICROS, isAdjustedToUTC=true)"),
                ColumnKind.Float64 => ("float64", "DOUBLE"),
                ColumnKind.Int32 => ("int32", "INT32"),
                _ => ("int64", "INT64"),
            };
            sb.Append($"| `{c.Name}` | {arrow} | {parquet} | {c.Unit} | {(c.Nullable ? "yes" : "no")} | {c.Description} |\n");
        }
        return sb.ToString();
    }

    [Fact]
    public void Schema_doc_lists_every_table_exactly_as_the_code_defines_it()
    {
        var doc = File.ReadAllText(Path.Combine(CliRunner.RepoRoot(), "docs", "schema.md")).ReplaceLineEndings("\n");
        foreach (var table in Tables.All)
            Assert.True(doc.Contains(Render(table), StringComparison.Ordinal), $"docs/schema.md is out of date for {table.Name}:\n{Render(table)}");
        foreach (var name in Tables.Reserved) Assert.Contains($"`{name}`", doc);
        foreach (var flag in Enum.GetValues<QualityFlags>().Where(f => f != QualityFlags.None))
            Assert.Contains($"| {System.Numerics.BitOperations.Log2((uint)flag)} | `{flag}` |", doc);
        foreach (var reason in Enum.GetValues<Metrify.Engine.Frames.QuarantineReason>())
            Assert.Contains($"`{Metrify.Engine.Frames.QuarantineReasons.Code(reason)}`", doc);
    }

    private static readonly (string Section, object Defaults)[] Sections =
    [
        ("Lake", new LakeOptions()), ("Ingest", new IngestOptions()), ("Frames", new Metrify.Engine.Frames.Meter.MeterFrameOptions()),
        ("Quality", new Metrify.Engine.Quality.QualityOptions()), ("Inbox", new Metrify.Engine.Pipeline.InboxOptions()),
        ("Run", new Metrify.Cli.Settings.MetrifySettings.RunOptions()), ("P1Tcp", new Metrify.Cli.Settings.MetrifySettings.P1TcpOptions()),
        ("Kafka", new Metrify.Connectors.Kafka.KafkaOptions()),
    ];

    [Fact]
    public void Every_option_has_a_setter_the_binder_uses()
    {
        // The configuration binder's source generator sets plain setters only: an init-only option would be left at
        // its default without a word, whatever the settings say.
        foreach (var (section, defaults) in Sections)
            foreach (var p in defaults.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is not null && p.Name != "Keys"))
                Assert.False(p.SetMethod!.ReturnParameter.GetRequiredCustomModifiers().Contains(typeof(System.Runtime.CompilerServices.IsExternalInit)),
                    $"{section}:{p.Name} needs a plain setter, not init, to be bound");
        var settings = Metrify.Cli.Settings.MetrifySettings.Load(null, new Dictionary<string, string?>
        {
            ["Quality:SeriesChecks"] = "false", ["Lake:Durable"] = "false", ["Kafka:Consumers"] = "3", ["Run:ShutdownGraceSeconds"] = "7",
        });
        Assert.False(settings.Quality.SeriesChecks);
        Assert.False(settings.Lake.Durable);
        Assert.Equal(3, settings.Kafka.Consumers);
        Assert.Equal(7, settings.Run.ShutdownGraceSeconds);
    }

    [Fact]
    public void Sample_settings_hold_every_option_with_its_default()
    {
        using var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(CliRunner.RepoRoot(), "metrify.sample.json")));
        foreach (var (section, defaults) in Sections)
        {
            var json = sample.RootElement.GetProperty(section);
            foreach (var p in defaults.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.Name != "Keys"))
            {
                Assert.True(json.TryGetProperty(p.Name, out var value), $"metrify.sample.json lacks {section}:{p.Name}");
                if (section == "Ingest" && p.Name is nameof(IngestOptions.EncoderThreads) or nameof(IngestOptions.DecodeThreads)) continue; // machine-dependent
                if (p.PropertyType.IsGenericType && p.PropertyType.GetGenericTypeDefinition() == typeof(Dictionary<,>))
                {
                    // A sample of the entries, each equal to its default.
                    var defaultsMap = (System.Collections.IDictionary)p.GetValue(defaults)!;
                    foreach (var entry in value.EnumerateObject())
                        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(defaultsMap[entry.Name]), entry.Value.GetRawText().Replace(" ", ""));
                    continue;
                }
                if (p.PropertyType != typeof(string) && !p.PropertyType.IsValueType) { Assert.Equal(JsonValueKind.Array, value.ValueKind); continue; }
                if (p.GetValue(defaults) is null) { Assert.Equal(JsonValueKind.Null, value.ValueKind); continue; }
                Assert.Equal(Convert.ToString(p.GetValue(defaults), System.Globalization.CultureInfo.InvariantCulture),
                    value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText().ToLowerInvariant() is var raw && (raw == "true" || raw == "false") ? char.ToUpperInvariant(raw[0]) + raw[1..] : value.GetRawText());
            }
        }
        var settings = Metrify.Cli.Settings.MetrifySettings.Load(Path.Combine(CliRunner.RepoRoot(), "metrify.sample.json"), new Dictionary<string, string?>());
        Assert.Equal(new LakeOptions(), settings.Lake);
    }
}
