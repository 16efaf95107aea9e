using System.Text.Json;
using Metrify.Engine.Columnar;
using Metrify.Engine.Frames.Csv;

namespace Metrify.Engine.Pipeline;

/// <summary>What an input file holds, decided from its extension and its first line.</summary>
/// <param name="HexText">The file is a hex dump of binary frames (whitespace ignored).</param>
public sealed record DetectedInput(InputFormat Format, TableSpec? Table, CsvLayout? Layout, int HeaderBytes, string? Problem, bool HexText = false)
{
    public bool IsMeterFrames => Format is InputFormat.P1 or InputFormat.Sml or InputFormat.EncryptedP1;
}

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
        if (forcedTable is null && DetectFrames(path, head) is { } frames)
            return new DetectedInput(frames.Format, Tables.Readings, null, 0, null, frames.Hex);
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

    /// <summary>
    /// Meter frames: SML's start escape or a DLMS envelope at the start (or anywhere in a .bin), a P1 header or OBIS
    /// line at the start of a text file (a raw capture may begin mid-telegram), or a hex dump of any of them.
    /// </summary>
    private static (InputFormat Format, bool Hex)? DetectFrames(string path, ReadOnlySpan<byte> head)
    {
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (BinaryFormat(head, ext == ".bin") is { } binary) return (binary, false);
        if (ext == ".bin") return (InputFormat.Sml, false);
        if (ext == ".hex" || IsHexDump(head))
        {
            Span<byte> decoded = stackalloc byte[256];
            int n = HexTextStream.Decode(head, decoded);
            if (BinaryFormat(decoded[..n], true) is { } inHex) return (inHex, true);
            if (n > 0 && (decoded[0] == '/' || decoded[0] == '\r')) return (InputFormat.P1, true);
            if (ext == ".hex") return (InputFormat.Sml, true);
        }
        if (ext == ".p1") return (InputFormat.P1, false);
        var text = head.TrimStart("\r\n\0"u8);
        int nl = text.IndexOf((byte)'\n');
        var line = nl < 0 ? text : text[..nl];
        bool header = line.Length >= 5 && line[0] == '/' && char.IsAsciiLetter((char)line[1]) && char.IsAsciiLetter((char)line[2]) && char.IsAsciiLetter((char)line[3]);
        if (header || Frames.Meter.Obis.TryParseText(line, out _) > 0) return (InputFormat.P1, false);
        return null;
    }

    private static InputFormat? BinaryFormat(ReadOnlySpan<byte> head, bool anywhere)
    {
        if (head.StartsWith(Frames.Meter.SmlFramer.Start) || (anywhere && head.IndexOf(Frames.Meter.SmlFramer.Start) >= 0)) return InputFormat.Sml;
        if (head.Length > 12 && head[0] == Frames.Meter.DlmsFramer.GeneralGloCiphering && head[1] == 8) return InputFormat.EncryptedP1;
        return null;
    }

    private static bool IsHexDump(ReadOnlySpan<byte> head)
    {
        var sample = head.Length > 4096 ? head[..4096] : head;
        return sample.Length >= 32 && sample.IndexOfAnyExcept("0123456789abcdefABCDEF \t\r\n"u8) < 0;
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
