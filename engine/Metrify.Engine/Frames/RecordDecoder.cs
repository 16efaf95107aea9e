using System.Runtime.CompilerServices;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Frames;

/// <summary>
/// What every text record decoder shares: the batch it fills, handing full batches on, quarantining bad records,
/// and counting. A decoder is fed contiguous chunks of one source with <see cref="Decode"/>, which returns how many
/// bytes it consumed (whole records only); the caller keeps the rest and offers it again with more data, like a
/// <c>PipeReader</c> loop. Bad input never throws: it becomes a quarantine row.
/// </summary>
public abstract partial class RecordDecoder
{
    private readonly ColumnBatchPool _pool;
    private readonly IBatchSink _sink;
    private readonly bool[] _written;
    private readonly bool[] _required; // per column, read per empty field: an array, not the table's list
    private bool _anyGood;
    private long _batchHour = long.MinValue;

    protected RecordDecoder(TableSpec table, ColumnBatchPool pool, IBatchSink sink, QuarantineCollector quarantine,
        int maxRecordBytes)
    {
        if (!ReferenceEquals(pool.Table, table)) throw new ArgumentException("The pool holds batches of another table.", nameof(pool));
        Table = table;
        _pool = pool;
        _sink = sink;
        Quarantine = quarantine;
        MaxRecordBytes = maxRecordBytes;
        _written = new bool[table.Columns.Count];
        _required = table.Columns.Select(c => c.Required).ToArray();
        PartitionColumn = table.PartitionColumnIndex;
        Batch = pool.Rent();
    }

    public TableSpec Table { get; }
    public DecodeStats Stats { get; } = new();
    public int MaxRecordBytes { get; }

    /// <summary>1-based number of the line the next record starts on.</summary>
    public long LineNumber { get; protected set; } = 1;

    protected QuarantineCollector Quarantine { get; }
    protected ColumnBatch Batch { get; private set; }
    protected int PartitionColumn { get; }
    protected long LastGoodTimestamp { get; private set; } = long.MinValue;

    /// <summary>Decodes every complete record in <paramref name="data"/>, which starts at <paramref name="dataOffset"/>
    /// in the source. With <paramref name="isFinalBlock"/> the last record needs no line ending.</summary>
    public abstract int Decode(ReadOnlySpan<byte> data, long dataOffset, bool isFinalBlock);

    /// <summary>Marks which columns this decoder ever writes, so the others read as null.</summary>
    protected void MarkWritten(int column) => _written[column] = true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected void AcceptRow(long start, long end, long timestamp)
    {
        Batch.CommitRow(start, end);
        Stats.Rows++;
        Stats.BytesAccepted += end - start;
        LastGoodTimestamp = timestamp;
        if (!_anyGood) FirstGood(timestamp);
        long hour = Lake.LakePaths.HourOf(timestamp);
        if (hour != _batchHour) HourChanged(hour);
        else if (Batch.IsFull || ((Batch.Count & 1023) == 0 && Batch.IsFullOrLarge)) EmitBatch();
    }

    /// <summary>
    /// Rows usually arrive in time order, so a batch is cut where the hour changes: the partitioner then passes whole
    /// batches to the encoder instead of gathering rows. The row that starts the new hour moves to the next batch.
    /// A batch less than an eighth full is not cut (input sorted by meter changes hour every few rows; its batches
    /// are split by the partitioner instead).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void HourChanged(long hour)
    {
        if (Batch.Count == 1 || _batchHour == long.MinValue) { _batchHour = hour; return; }
        if (Batch.Count - 1 < Batch.Capacity / 8)
        {
            if (Batch.IsFull || ((Batch.Count & 1023) == 0 && Batch.IsFullOrLarge)) EmitBatch();
            return; // stays a mixed batch
        }
        var next = _pool.Rent();
        next.AppendRows(Batch, [Batch.Count - 1]);
        Batch.RemoveLastRow();
        EmitBatch(next);
        _batchHour = hour;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void FirstGood(long timestamp)
    {
        _anyGood = true;
        Quarantine.ResolvePending(timestamp);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    protected void RejectRow(long start, ReadOnlySpan<byte> raw, QuarantineReason reason, string detail)
    {
        Batch.DiscardRow();
        Stats.Quarantined++;
        Stats.BytesQuarantined += raw.Length;
        Stats.PerReason[(int)reason]++;
        Quarantine.Add(Table.Name, LineNumber, start, reason, detail, raw, LastGoodTimestamp);
    }

    private void EmitBatch(ColumnBatch? next = null)
    {
        Batch.FillUnwrittenOffsets(_written);
        _sink.Accept(Batch);
        Batch = next ?? _pool.Rent();
        _batchHour = long.MinValue;
    }

    /// <summary>Hands on the last partial batch and the quarantine rows. Call once, after the final block.</summary>
    public void Complete()
    {
        if (Batch.Count > 0) EmitBatch();
        _pool.Return(Batch);
        Batch = null!;
        Quarantine.Flush(LastGoodTimestamp == long.MinValue ? 0 : LastGoodTimestamp);
    }

    /// <summary>Gives the batch being filled back to its pool without handing it on (a chunk that is dropped).</summary>
    public void Abandon()
    {
        if (Batch is null) return;
        _pool.Return(Batch);
        Batch = null!;
        Quarantine.Abandon();
    }

    /// <summary>The column's name, for quarantine details.</summary>
    protected string ColumnName(int column) => Table.Columns[column].Name;
}
