namespace Metrify.Engine.Columnar;

/// <summary>
/// A bounded set of reusable <see cref="ColumnBatch"/>es for one table. The bound is the pipeline's memory budget:
/// when every batch is in flight, <see cref="Rent"/> waits for the encoder to hand one back, so a slow sink slows
/// the source instead of filling memory.
/// </summary>
public sealed class ColumnBatchPool : IDisposable
{
    private readonly Stack<ColumnBatch> _free = new();
    private readonly List<ColumnBatch> _all = new();
    private readonly object _lock = new();
    private int _inUse;

    public ColumnBatchPool(TableSpec table, int batchRows, int maxBatches, NativeBufferPool? memory = null)
    {
        if (maxBatches < 2) throw new ArgumentOutOfRangeException(nameof(maxBatches), "A pipeline needs at least two batches.");
        Table = table;
        BatchRows = batchRows;
        MaxBatches = maxBatches;
        Memory = memory ?? NativeBufferPool.Shared;
    }

    public TableSpec Table { get; }
    public int BatchRows { get; }
    public int MaxBatches { get; }
    public NativeBufferPool Memory { get; }

    /// <summary>Native bytes of one batch (0 until the first is made).</summary>
    public long BatchBytes { get; private set; }

    /// <summary>Batches that can be taken right now without waiting. A plain read, without the lock: it is asked
    /// once per Kafka message, and a value one batch stale only moves a roll by one message.</summary>
    public int Available => MaxBatches - Volatile.Read(ref _inUse);
    /// <summary>Takes a batch if one is free right now.</summary>
    public bool TryRent(out ColumnBatch batch)
    {
        lock (_lock)
        {
            if (_inUse == MaxBatches) { batch = null!; return false; }
            batch = TakeOrCreate();
            return true;
        }
    }

    /// <summary>
    /// Takes a batch, waiting for one to come back when all are in use. A monitor wait, not a semaphore: the decoder
    /// regularly outruns the encoders, and a spinning wait would burn the core they need.
    /// </summary>
    public ColumnBatch Rent()
    {
        lock (_lock)
        {
            while (_inUse == MaxBatches) Monitor.Wait(_lock);
            return TakeOrCreate();
        }
    }

    /// <summary>Takes a batch, waiting at most <paramref name="timeout"/> for one to come back.</summary>
    public bool TryRent(TimeSpan timeout, out ColumnBatch batch)
    {
        lock (_lock)
        {
            if (_inUse == MaxBatches && !Monitor.Wait(_lock, timeout) || _inUse == MaxBatches) { batch = null!; return false; }
            batch = TakeOrCreate();
            return true;
        }
    }

    private ColumnBatch TakeOrCreate()
    {
        _inUse++;
        if (_free.TryPop(out var batch)) return batch;
        batch = new ColumnBatch(Table, BatchRows, Memory);
        BatchBytes = batch.AllocatedBytes;
        _all.Add(batch);
        return batch;
    }

    public void Return(ColumnBatch batch)
    {
        batch.Reset();
        lock (_lock)
        {
            _free.Push(batch);
            _inUse--;
            Monitor.PulseAll(_lock); // several writers may wait (parallel segments share a pool)
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var b in _all) b.Dispose();
            _all.Clear();
            _free.Clear();
        }
    }
}
