using System.Diagnostics;
using Metrify.Engine.Columnar;
using Metrify.Engine.Frames;
using Metrify.Engine.Lake;

namespace Metrify.Engine.Pipeline;

/// <summary>The quality stage of the ingestor: checks in front of each writer, the series state that carries from
/// one input to the next, its journal per input, and the aggregate output that rides with the input's files.</summary>
public sealed partial class Ingestor
{
    /// <summary>The quality checks in front of a table's writer; the clock is read once per input file. The series
    /// checks' state lives as long as the ingestor, so a meter's history carries from one input to the next.</summary>
    internal Quality.CheckingSink Checked(TableSpec table, IBatchSink writer, long nowMicros, SegmentOrder? order = null,
        int segment = 0, Quality.SeriesJournal? journal = null, Quality.AggregateOutput? aggregates = null)
    {
        var checks = new Quality.BatchChecks(table, _quality, nowMicros);
        return new Quality.CheckingSink(checks.IsEmpty ? null : checks, SeriesFor(table), writer, PoolFor(table), order, segment, journal, aggregates);
    }

    /// <summary>Where one input's aggregate rows go (files under <paramref name="tempPrefix"/>, published with the input's).</summary>
    internal Quality.AggregateOutput NewAggregateOutput(string tempPrefix) =>
        new(t => new PartitionedWriter(t, PoolFor(t), _lake, tempPrefix + "-a", 1, _options.MaxOpenFiles), PoolFor);

    /// <summary>Writes the open aggregate intervals of the meters an input touched into its files, placed at the
    /// input's last byte (files only: a stream's intervals are written as they close).</summary>
    internal void FlushOpenIntervals(Quality.SeriesJournal journal, Quality.AggregateOutput output, long endPosition)
    {
        foreach (var table in Tables.Decodable) SeriesFor(table)?.FlushTouched(journal, output, endPosition);
    }

    /// <summary>Source keys and paths of the files this ingestor published: the series state has seen their rows.</summary>
    private readonly HashSet<string> _publishedKeys = new(StringComparer.Ordinal), _publishedPaths = new(StringComparer.Ordinal);

    /// <summary>A journal for one file: identical duplicates are kept when the file replaces one this ingestor
    /// published at the same path (its files, which hold the originals, are about to be removed).</summary>
    private Quality.SeriesJournal JournalFor(string path)
    {
        lock (_publishedKeys) return new Quality.SeriesJournal { KeepDuplicates = _publishedPaths.Contains(Path.GetFullPath(path)) };
    }

    /// <summary>True when this ingestor published this very content before: decoding it again would only find its
    /// own rows as duplicates, so it is left as it is in the lake.</summary>
    private bool PublishedBefore(string sourceKey)
    {
        lock (_publishedKeys) return _publishedKeys.Contains(sourceKey);
    }

    /// <summary>This content was published by this ingestor before: its new files are dropped, the state it
    /// changed is undone, and the lake keeps what it has.</summary>
    private static IngestResult AlreadyIngested(string path, long length, InputFormat format, Quality.SeriesJournal journal,
        List<WrittenFile> files, Stopwatch clock)
    {
        journal.Undo();
        foreach (var f in files) File.Delete(f.TempPath);
        return new IngestResult
        {
            Path = path, Bytes = length, Format = format, Elapsed = clock.Elapsed, AlreadyIngested = true,
            Skipped = "the same content was ingested by this process already; the lake has it",
        };
    }

    private void RememberPublished(string path, string sourceKey)
    {
        lock (_publishedKeys)
        {
            _publishedKeys.Add(sourceKey);
            _publishedPaths.Add(Path.GetFullPath(path));
        }
    }

    private readonly Dictionary<TableSpec, Quality.SeriesChecks?> _series = new();

    internal Quality.SeriesChecks? SeriesFor(TableSpec table)
    {
        lock (_series)
        {
            if (!_series.TryGetValue(table, out var series))
                _series[table] = series = _quality.SeriesChecks ? Quality.SeriesChecks.For(table, _quality) : null;
            return series;
        }
    }

    /// <summary>Series (meters, operators, stations) whose state the ingestor holds, and its bytes.</summary>
    public (int Series, long Bytes) SeriesState
    {
        get
        {
            int series = 0;
            long bytes = 0;
            lock (_series)
                foreach (var s in _series.Values)
                    if (s?.Size is var (n, b)) (series, bytes) = (series + n, bytes + b);
            return (series, bytes);
        }
    }

    /// <summary>A decoder's counters with what its checks found added.</summary>
    internal static DecodeStats WithChecks(DecodeStats stats, Quality.CheckingSink? checks)
    {
        if (checks is not null) stats.Add(checks.Found);
        return stats;
    }
}
