namespace Metrify.Engine.Pipeline;

/// <summary>
/// Lets the segments of one input, decoded in parallel, pass the series checks in input order: a meter's rows in
/// segment 2 follow its rows in segment 1. The segment whose turn it is checks its batches as they come; the others
/// hold theirs (up to a limit that leaves the pool room) until their turn. Segments are handed out in order, so the
/// segment whose turn it is is always being decoded and never waits.
/// </summary>
internal sealed class SegmentOrder(int queueLimit, CancellationToken cancellationToken)
{
    private readonly object _lock = new();
    private int _turn;
    private bool _failed;

    /// <summary>Batches a segment may hold while it waits for its turn.</summary>
    public int QueueLimit { get; } = Math.Max(1, queueLimit);

    public bool IsTurn(int segment)
    {
        lock (_lock) return _turn == segment;
    }

    public void WaitForTurn(int segment)
    {
        lock (_lock)
        {
            while (_turn != segment)
            {
                if (_failed) throw new OperationCanceledException("An earlier segment failed.");
                cancellationToken.ThrowIfCancellationRequested();
                Monitor.Wait(_lock, 200);
            }
        }
    }

    public void Done(int segment)
    {
        lock (_lock)
        {
            if (_turn == segment) _turn = segment + 1;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Wakes every waiting segment with an exception (a segment failed; the input is abandoned).</summary>
    public void Fail()
    {
        lock (_lock)
        {
            _failed = true;
            Monitor.PulseAll(_lock);
        }
    }
}
