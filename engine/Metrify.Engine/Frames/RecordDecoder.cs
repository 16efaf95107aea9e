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
    private bool _anyGood;

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
        if (Batch.IsFull) EmitBatch();
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

    private void EmitBatch()
    {
        Batch.FillUnwrittenOffsets(_written);
        _sink.Accept(Batch);
        Batch = _pool.Rent();
    }

    /// <summary>Hands on the last partial batch and the quarantine rows. Call once, after the final block.</summary>
    public void Complete()
    {
        if (Batch.Count > 0) EmitBatch();
        _pool.Return(Batch);
        Batch = null!;
        Quarantine.Flush(LastGoodTimestamp == long.MinValue ? 0 : LastGoodTimestamp);
    }

    /// <summary>The column's name, for quarantine details.</summary>
    protected string ColumnName(int column) => Table.Columns[column].Name;
}
