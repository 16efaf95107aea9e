using Metrify.Engine.Columnar;
using Metrify.Engine.Frames;
using Metrify.Engine.Pipeline;

namespace Metrify.Engine.Quality;

/// <summary>
/// Runs a table's checks on each batch of one source (or one segment of it), then hands the batch on: the
/// stateless checks at once, the series checks in the source's order (<see cref="SegmentOrder"/> for a segment).
/// Counts the identical duplicates it dropped.
/// </summary>
public sealed class CheckingSink : IBatchSink
{
    private readonly BatchChecks? _checks;
    private readonly SeriesChecks? _series;
    private readonly IBatchSink _next;
    private readonly ColumnBatchPool? _pool;
    private readonly SegmentOrder? _order;
    private readonly int _segment;
    private readonly SeriesJournal? _journal;
    private readonly Queue<ColumnBatch> _held = new();
    private bool _myTurn;
    private readonly AggregateOutput? _aggregates;

    internal CheckingSink(BatchChecks? checks, SeriesChecks? series, IBatchSink next, ColumnBatchPool? pool = null,
        SegmentOrder? order = null, int segment = 0, SeriesJournal? journal = null, AggregateOutput? aggregates = null)
    {
        _aggregates = aggregates;
        _checks = checks;
        _series = series;
        _next = next;
        _pool = pool;
        _order = order;
        _segment = segment;
        _journal = journal;
        _myTurn = order is null;
    }

    /// <summary>What the series checks found so far (duplicates dropped, the quality score's terms), to add to the
    /// decoder's counters.</summary>
    public DecodeStats Found { get; } = new();

    public void Accept(ColumnBatch batch)
    {
        _checks?.Apply(batch);
        if (_series is null) { _next.Accept(batch); return; }
        if (!_myTurn)
        {
            // Hold while the pool has room to spare; past that, wait for the turn (the segment whose turn it is
            // must always find batches to rent).
            bool roomy = _pool is null || _pool.Available > _order!.QueueLimit;
            if (!_order!.IsTurn(_segment) && _held.Count < _order.QueueLimit && roomy) { _held.Enqueue(batch); return; }
            TakeTurn();
        }
        Pass(batch);
    }

    /// <summary>After the decoder's last batch: waits for this segment's turn, passes what it held, and hands the
    /// turn on. Call before completing the writer.</summary>
    public void Complete()
    {
        if (_order is null) return;
        if (!_myTurn) TakeTurn();
        _order.Done(_segment);
    }

    /// <summary>Gives held batches back to the pool (the input failed or is decoded again).</summary>
    public void Abandon()
    {
        while (_held.TryDequeue(out var batch)) _pool?.Return(batch);
        _order?.Fail();
    }

    private void TakeTurn()
    {
        _order!.WaitForTurn(_segment);
        _myTurn = true;
        while (_held.TryDequeue(out var held)) Pass(held);
    }

    private void Pass(ColumnBatch batch)
    {
        Found.Add(_series!.Apply(batch, _journal, _aggregates));
        _next.Accept(batch);
    }
}
