using Metrify.Engine.Columnar;

namespace Metrify.Engine.Quality;

/// <summary>
/// Where one input's aggregate rows go: a batch and a partitioned writer per aggregate table, made on first use, so
/// the rows are published with the input's other files. Like the decoders, a batch is cut where the partition (the
/// day) changes (once it is an eighth full), so the writer gets single-partition batches it encodes as they are.
/// </summary>
public sealed class AggregateOutput(Func<TableSpec, Lake.PartitionedWriter> writerFor, Func<TableSpec, ColumnBatchPool> poolFor) : IDisposable
{
    private sealed class Target
    {
        public Lake.PartitionedWriter? Writer;
        public ColumnBatch? Batch;
        public long From = long.MaxValue, To = long.MinValue; // the instants of the last row's partition
    }

    private readonly Dictionary<TableSpec, Target> _targets = new();
    private Target?[] _byOrdinal = new Target?[16]; // rows alternate between tables: an index, not a hash, per row

    private Target TargetOf(TableSpec table)
    {
        int ordinal = table.Ordinal;
        if (ordinal < _byOrdinal.Length && _byOrdinal[ordinal] is { } known) return known;
        if (!_targets.TryGetValue(table, out var t)) _targets[table] = t = new Target();
        if (ordinal >= _byOrdinal.Length) Array.Resize(ref _byOrdinal, ordinal * 2);
        return _byOrdinal[ordinal] = t;
    }

    /// <summary>The batch to fill the next row of <paramref name="table"/> into, for an interval starting at
    /// <paramref name="start"/>; call <see cref="Written"/> after committing the row.</summary>
    internal ColumnBatch Row(TableSpec table, long start) => Rows(table, start, out _, out _);

    /// <summary>The batch to append rows of <paramref name="table"/> to, for intervals starting at
    /// <paramref name="start"/>, and the instants [<paramref name="from"/>, <paramref name="to"/>) of that partition:
    /// rows starting there may follow in the same batch while it has <see cref="ColumnBatch.Room"/>. Call
    /// <see cref="Appended"/> after committing them.</summary>
    internal ColumnBatch Rows(TableSpec table, long start, out long from, out long to)
    {
        var t = TargetOf(table);
        if (start < t.From || start >= t.To) // a row of another partition than the last one: rare
        {
            long hour = Lake.LakePaths.PartitionOf(start, table.PartitionHours);
            if (t.Batch is { } current && current.Count >= current.Capacity / 8)
            {
                (t.Writer ??= writerFor(table)).Accept(current);
                t.Batch = null;
            }
            (t.From, t.To) = Lake.LakePaths.PartitionRange(hour, table.PartitionHours);
        }
        (from, to) = (t.From, t.To);
        return t.Batch ??= poolFor(table).Rent();
    }

    /// <summary>After rows were appended in bulk: hands a full (or large) batch to the writer.</summary>
    internal void Appended(TableSpec table)
    {
        var t = TargetOf(table);
        if (t.Batch is not { IsFullOrLarge: true } batch) return;
        (t.Writer ??= writerFor(table)).Accept(batch);
        t.Batch = null;
    }

    internal void Written(TableSpec table)
    {
        var t = TargetOf(table);
        var batch = t.Batch!;
        if (!batch.IsFull && ((batch.Count & 1023) != 0 || !batch.IsFullOrLarge)) return; // the byte count costs a pass over the columns
        (t.Writer ??= writerFor(table)).Accept(batch);
        t.Batch = null;
    }

    /// <summary>Hands the last rows to the writers and lets them all finish at once (see
    /// <see cref="Lake.PartitionedWriter.BeginComplete"/>).</summary>
    public void BeginComplete()
    {
        foreach (var (table, t) in _targets)
        {
            if (t.Batch is { } batch)
            {
                (t.Writer ??= writerFor(table)).Accept(batch);
                t.Batch = null;
            }
            t.Writer?.BeginComplete();
        }
    }

    /// <summary>Hands the last rows to the writers and returns every file, still under temporary names.</summary>
    public List<Lake.WrittenFile> Complete()
    {
        BeginComplete();
        var files = new List<Lake.WrittenFile>();
        foreach (var t in _targets.Values)
            if (t.Writer is { } writer) files.AddRange(writer.Complete());
        return files;
    }

    public void Dispose()
    {
        foreach (var (table, t) in _targets)
        {
            if (t.Batch is { } batch) poolFor(table).Return(batch);
            t.Writer?.Dispose();
        }
    }
}
