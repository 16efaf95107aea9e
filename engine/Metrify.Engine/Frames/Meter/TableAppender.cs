using Metrify.Engine.Columnar;

namespace Metrify.Engine.Frames.Meter;

/// <summary>
/// Appends rows to pooled batches of one table and hands each full batch to its sink. Frame decoders fill several
/// tables from one frame, so each table gets its own appender (text record decoders keep theirs in RecordDecoder).
/// </summary>
public sealed class TableAppender(ColumnBatchPool pool, IBatchSink sink)
{
    private ColumnBatch? _batch;

    public long Rows { get; private set; }

    /// <summary>The batch whose current row is being written.</summary>
    public ColumnBatch Row => _batch ??= pool.Rent();

    public void Commit(long sourceStart, long sourceEnd)
    {
        var b = Row;
        b.CommitRow(sourceStart, sourceEnd);
        Rows++;
        if (b.IsFull || ((b.Count & 255) == 0 && b.IsFullOrLarge)) Emit();
    }

    private void Emit()
    {
        sink.Accept(_batch!);
        _batch = null;
    }

    /// <summary>Gives the batch being filled back to its pool without handing it on.</summary>
    public void Abandon()
    {
        if (_batch is null) return;
        pool.Return(_batch);
        _batch = null;
    }

    /// <summary>Hands on the last partial batch. Call once, at the end of the source.</summary>
    public void Complete()
    {
        if (_batch is null) return;
        if (_batch.Count > 0) Emit();
        else { pool.Return(_batch); _batch = null; }
    }
}
