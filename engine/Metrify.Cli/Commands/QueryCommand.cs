using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using DuckDB.NET.Data;
using Metrify.Connectors.DuckDb;
using Metrify.Engine.Pipeline;
using Spectre.Console;

namespace Metrify.Cli.Commands;

/// <summary><c>metrify query ["SQL"]</c>: DuckDB over the lake; without SQL, the tables with row counts and time ranges.</summary>
internal static class QueryCommand
{
    public static Command Create(TextWriter stdout)
    {
        var sql = new Argument<string?>("sql") { Description = "SQL over the views readings, grid_status, weather, quarantine.", Arity = ArgumentArity.ZeroOrOne };
        var format = new Option<string>("--format") { Description = "table, csv or json.", DefaultValueFactory = _ => "table" };
        var config = CommonOptions.Config();
        var lake = CommonOptions.Lake();
        var command = new Command("query", "Query the lake with DuckDB SQL.") { sql, format, config, lake };
        command.SetAction(parse =>
        {
            var settings = CommonOptions.Load(parse, config, lake);
            var output = parse.GetValue(format)!.ToLowerInvariant();
            if (output is not ("table" or "csv" or "json")) throw new OperatorException($"--format: '{output}' is not one of table, csv, json.");
            if (!Directory.Exists(settings.Lake.Root)) throw new OperatorException($"Lake:Root: {Path.GetFullPath(settings.Lake.Root)} does not exist; run metrify ingest first or pass --lake.");
            using var duck = new DuckDbLake(settings.Lake.Root);
            var text = parse.GetValue(sql);
            if (string.IsNullOrWhiteSpace(text))
                text = "SELECT * FROM (VALUES " + (duck.Views.Count == 0 ? "(NULL, NULL, NULL, NULL, NULL)" : string.Join(", ",
                    duck.Summaries().Select(s => string.Create(CultureInfo.InvariantCulture,
                        $"('{s.Table}', {s.Rows}, {s.Files}, {Ts(s.First)}, {Ts(s.Last)})")))) +
                    ") AS t(\"table\", \"rows\", files, first, last) WHERE \"table\" IS NOT NULL";
            try
            {
                using var reader = duck.Query(text);
                Write(stdout, reader, output);
            }
            catch (DuckDBException e)
            {
                throw new OperatorException($"query failed: {e.Message.Split('\n')[0]}");
            }
            return CliErrors.Ok;
        });
        return command;
    }

    private static string Ts(DateTime? t) => t is { } v ? $"TIMESTAMPTZ '{v:yyyy-MM-dd HH:mm:ss.ffffff}+00'" : "NULL";

    internal static void Write(TextWriter stdout, DbDataReader reader, string format)
    {
        var names = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
        switch (format)
        {
            case "csv":
                stdout.WriteLine(string.Join(',', names.Select(Csv)));
                while (reader.Read())
                    stdout.WriteLine(string.Join(',', Enumerable.Range(0, names.Length).Select(i => Csv(Text(reader, i) ?? ""))));
                break;
            case "json":
                using (var json = new Utf8JsonWriter(new WriterStream(stdout)))
                {
                    json.WriteStartArray();
                    while (reader.Read())
                    {
                        json.WriteStartObject();
                        for (int i = 0; i < names.Length; i++)
                        {
                            json.WritePropertyName(names[i]);
                            WriteJson(json, reader, i);
                        }
                        json.WriteEndObject();
                    }
                    json.WriteEndArray();
                }
                stdout.WriteLine();
                break;
            default:
                var table = new Table().Border(TableBorder.Rounded);
                foreach (var n in names) table.AddColumn(Markup.Escape(n));
                while (reader.Read())
                    table.AddRow(Enumerable.Range(0, names.Length).Select(i => Markup.Escape(Text(reader, i) ?? "NULL")).ToArray());
                var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stdout), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
                console.Profile.Width = Math.Max(console.Profile.Width, 200);
                console.Write(table);
                break;
        }
    }

    private static string? Text(DbDataReader reader, int i)
    {
        if (reader.IsDBNull(i)) return null;
        return reader.GetValue(i) switch
        {
            DateTime d => d.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
            DateTimeOffset o => o.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
            double x => x.ToString("R", CultureInfo.InvariantCulture),
            float x => x.ToString("R", CultureInfo.InvariantCulture),
            DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            byte[] b => Convert.ToHexString(b),
            Stream blob => Hex(blob),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            var v => v.ToString(),
        };
    }

    private static string Hex(Stream blob)
    {
        using var copy = new MemoryStream();
        blob.CopyTo(copy);
        return Convert.ToHexString(copy.GetBuffer(), 0, (int)copy.Length);
    }

    private static void WriteJson(Utf8JsonWriter json, DbDataReader reader, int i)
    {
        if (reader.IsDBNull(i)) { json.WriteNullValue(); return; }
        switch (reader.GetValue(i))
        {
            case double d: json.WriteNumberValue(d); break;
            case float f: json.WriteNumberValue(f); break;
            case long l: json.WriteNumberValue(l); break;
            case int n: json.WriteNumberValue(n); break;
            case decimal m: json.WriteNumberValue(m); break;
            case System.Numerics.BigInteger b: json.WriteRawValue(b.ToString(CultureInfo.InvariantCulture)); break;
            case bool b: json.WriteBooleanValue(b); break;
            default: json.WriteStringValue(Text(reader, i)); break;
        }
    }

    private static string Csv(string value) =>
        value.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    /// <summary>Lets Utf8JsonWriter write into a TextWriter (tests pass a StringWriter).</summary>
    private sealed class WriterStream(TextWriter writer) : Stream
    {
        public override void Write(byte[] buffer, int offset, int count) => writer.Write(System.Text.Encoding.UTF8.GetString(buffer, offset, count));
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => writer.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
