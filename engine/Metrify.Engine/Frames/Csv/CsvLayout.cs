using System.Text;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Frames.Csv;

/// <summary>
/// How the fields of a CSV file map onto a table, read from its header: columns match by name in any order,
/// extra columns are ignored (and reported once), a missing required column is an operator error.
/// </summary>
public sealed class CsvLayout
{
    private CsvLayout(TableSpec table, byte separator, int[] fieldToColumn, string[] header, string[] extra)
    {
        Table = table;
        Separator = separator;
        FieldToColumn = fieldToColumn;
        Header = header;
        ExtraColumns = extra;
    }

    public TableSpec Table { get; }
    public byte Separator { get; }
    /// <summary>For each field position, the table column it fills, or -1 if ignored.</summary>
    public int[] FieldToColumn { get; }
    public string[] Header { get; }
    public string[] ExtraColumns { get; }

    /// <summary>The separator a header line uses: the most frequent of comma, semicolon and tab.</summary>
    public static byte DetectSeparator(ReadOnlySpan<byte> headerLine)
    {
        int commas = headerLine.Count((byte)','), semis = headerLine.Count((byte)';'), tabs = headerLine.Count((byte)'\t');
        return tabs > commas && tabs > semis ? (byte)'\t' : semis > commas ? (byte)';' : (byte)',';
    }

    /// <summary>Splits a header line (no line ending) into trimmed, unquoted, lower-case names.</summary>
    public static string[] ParseHeader(ReadOnlySpan<byte> headerLine, byte separator)
    {
        if (headerLine.StartsWith("\uFEFF"u8)) headerLine = headerLine[3..];
        var names = new List<string>();
        foreach (var range in headerLine.Split(separator))
        {
            var name = Encoding.UTF8.GetString(headerLine[range]).Trim().Trim('"').Trim();
            names.Add(name.ToLowerInvariant());
        }
        return names.ToArray();
    }

    /// <summary>Maps the header onto <paramref name="table"/>. Returns null and an error naming the missing columns
    /// if a required column is absent.</summary>
    public static CsvLayout? TryCreate(TableSpec table, string[] header, byte separator, out string? error)
    {
        var map = new int[header.Length];
        var extra = new List<string>();
        var seen = new bool[table.Columns.Count];
        for (int f = 0; f < header.Length; f++)
        {
            int c = table.IndexOf(header[f]);
            if (c >= 0 && (table.Columns[c].Source != ColumnSource.Input || seen[c])) c = -1;
            map[f] = c;
            if (c >= 0) seen[c] = true;
            else extra.Add(header[f]);
        }
        var missing = new List<string>();
        for (int c = 0; c < table.Columns.Count; c++)
            if (table.Columns[c].Required && !seen[c]) missing.Add(table.Columns[c].Name);
        if (missing.Count > 0)
        {
            error = $"required column{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)} missing for table {table.Name} (header has: {string.Join(", ", header)})";
            return null;
        }
        error = null;
        return new CsvLayout(table, separator, map, header, extra.ToArray());
    }
}
