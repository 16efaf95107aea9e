using System.Text.Json;
using Metrify.Engine.Columnar;
using Metrify.Engine.Frames.Csv;

namespace Metrify.Engine.Pipeline;

/// <summary>What an input file holds, decided from its extension and its first line.</summary>
public sealed record DetectedInput(InputFormat Format, TableSpec? Table, CsvLayout? Layout, int HeaderBytes, string? Problem);

/// <summary>
/// Finds an input's format (extension first, then content: a line starting with <c>{</c> is JSON) and its table
/// (the table whose key column, e.g. <c>meter_id</c>, the header or first object names; most matching names wins).
/// </summary>
public static class InputDetector
{
    public static InputFormat? FormatFromExtension(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".csv" or ".tsv" or ".txt" => InputFormat.Csv,
        ".jsonl" or ".ndjson" or ".json" => InputFormat.JsonLines,
        _ => null,
    };

    /// <param name="head">The first bytes of the file (at least its first line, when it has one).</param>
    public static DetectedInput Detect(string path, ReadOnlySpan<byte> head, TableSpec? forcedTable)
    {
        int nl = head.IndexOf((byte)'\n');
        var firstLine = nl < 0 ? head : head[..nl];
        int headerBytes = nl < 0 ? head.Length : nl + 1;
        if (firstLine.Length != 0 && firstLine[^1] == (byte)'\r') firstLine = firstLine[..^1];
        var trimmed = firstLine.StartsWith("\uFEFF"u8) ? firstLine[3..] : firstLine;
        trimmed = trimmed.TrimStart(" \t"u8);
        var format = trimmed.StartsWith("{"u8) ? InputFormat.JsonLines : FormatFromExtension(path) ?? InputFormat.Csv;

        if (format == InputFormat.JsonLines)
        {
            var names = JsonPropertyNames(trimmed);
            var table = forcedTable ?? BestTable(names);
            return new DetectedInput(format, table, null, 0,
                table is null ? $"no table matches its properties ({Shown(names)})" : null);
        }

        byte separator = CsvLayout.DetectSeparator(firstLine);
        var header = CsvLayout.ParseHeader(firstLine, separator);
        var csvTable = forcedTable ?? BestTable(header);
        if (csvTable is null)
            return new DetectedInput(format, null, null, headerBytes, $"no table matches its header ({Shown(header)})");
        var layout = CsvLayout.TryCreate(csvTable, header, separator, out var error);
        if (layout is null)
        {
            // Named explicitly, the table's columns must be there; detected, the file is just not one of ours.
            if (forcedTable is not null) throw new OperatorException($"{path}: {error}");
            return new DetectedInput(format, null, null, headerBytes, error);
        }
        return new DetectedInput(format, csvTable, layout, headerBytes, null);
    }

    private static string Shown(IReadOnlyList<string> names) =>
        names.Count == 0 ? "none" : string.Join(", ", names.Take(12)) + (names.Count > 12 ? ", ..." : "");

    private static TableSpec? BestTable(IReadOnlyList<string> names)
    {
        TableSpec? best = null;
        int bestScore = 0;
        foreach (var table in Tables.Decodable)
        {
            if (!names.Contains(table.Columns[0].Name, StringComparer.OrdinalIgnoreCase)) continue;
            int score = names.Count(n => table.IndexOf(n.ToLowerInvariant()) >= 0);
            if (score > bestScore) { bestScore = score; best = table; }
        }
        return best;
    }

    private static List<string> JsonPropertyNames(ReadOnlySpan<byte> line)
    {
        var names = new List<string>();
        try
        {
            var reader = new Utf8JsonReader(line);
            int depth = 0;
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) depth++;
                else if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray) depth--;
                else if (reader.TokenType == JsonTokenType.PropertyName && depth == 1) names.Add(reader.GetString()!);
            }
        }
        catch (JsonException)
        {
            // A broken first line: the names read so far still identify the table; the line itself is quarantined.
        }
        return names;
    }
}
