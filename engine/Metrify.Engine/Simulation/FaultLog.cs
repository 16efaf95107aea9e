using System.Globalization;
using System.Text;
using Metrify.Engine.Frames.Text;

namespace Metrify.Engine.Simulation;

/// <summary>Where the last record of an output sits: its line (CSV, JSON lines) or its frame's byte offset (P1, SML).</summary>
internal interface IFaultPosition
{
    long Position { get; }
}

/// <summary>Every injected fault, with the line (or frame offset) it sits on in each output format, for tests to check detection.</summary>
internal sealed class FaultLog(IReadOnlyList<SimulationFormat> formats)
{
    private readonly List<(string Kind, string Table, string Key, long Micros, string Detail, long[] Lines)> _entries = new();

    public Dictionary<string, long> Counts { get; } = new()
    {
        ["gap"] = 0, ["duplicate"] = 0, ["spike"] = 0, ["malformed"] = 0, ["future"] = 0, ["late"] = 0, ["reset"] = 0,
    };

    public Dictionary<string, long> MalformedPerTable { get; } = new() { ["readings"] = 0, ["grid_status"] = 0, ["weather"] = 0 };

    /// <summary>Logs a fault on the row each writer wrote last (or on no line, for a gap).</summary>
    public void Add(string kind, string table, ReadOnlySpan<byte> key, long micros, string detail, IFaultPosition[]? writers)
    {
        var lines = new long[formats.Count];
        if (writers is not null)
            for (int i = 0; i < writers.Length; i++) lines[i] = writers[i].Position;
        _entries.Add((kind, table, Encoding.UTF8.GetString(key), micros, detail, lines));
        Counts[kind]++;
        if (kind == "malformed") MalformedPerTable[table]++;
    }

    public string Write(string path)
    {
        using var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        w.Write("kind,table,key,timestamp,detail");
        foreach (var f in formats)
            w.Write(f switch { SimulationFormat.Csv => ",csv_line", SimulationFormat.JsonLines => ",jsonl_line", SimulationFormat.P1 => ",p1_offset", _ => ",sml_offset" });
        w.Write('\n');
        Span<byte> ts = stackalloc byte[32];
        foreach (var e in _entries)
        {
            int n = Utf8Timestamp.Format(e.Micros, ts);
            w.Write(string.Create(CultureInfo.InvariantCulture, $"{e.Kind},{e.Table},{e.Key},{Encoding.ASCII.GetString(ts[..n])},{e.Detail}"));
            foreach (var line in e.Lines) w.Write(string.Create(CultureInfo.InvariantCulture, $",{line}"));
            w.Write('\n');
        }
        return path;
    }
}
