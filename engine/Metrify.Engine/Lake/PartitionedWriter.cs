using System.Threading.Channels;
using Metrify.Engine.Columnar;
using Metrify.Engine.Frames;

namespace Metrify.Engine.Lake;

/// <summary>
/// Takes one source's batches of one table, splits them by partition (hour or day) on the caller's thread, and encodes them
/// on <c>encoderThreads</c> background threads (a partition always on the same thread, so its rows keep their
/// order and the output is deterministic). A batch whose rows all fall in one hour, the usual case for a stream of
/// readings, goes to the encoder as it is; mixed batches are gathered into per-partition batches. Memory is bounded
/// by the batch pool: when it runs dry the fullest pending partition is flushed early.
/// </summary>
public sealed partial class PartitionedWriter : IBatchSink, IDisposable
{
    private readonly TableSpec _table;
    private readonly ColumnBatchPool _pool;
    private readonly Dictionary<long, ColumnBatch> _pending = new();
    private readonly HashSet<long> _touched = new();
    private readonly EncoderWorker[] _workers;
    private int[] _order = [];      // scratch for Scatter, rented on first use
    private long[] _hours = [];
    private int[] _bucket = [];
    private long[] _bucketHour = [];
    private int[] _bucketCount = [];
    private readonly Dictionary<long, int> _bucketIndex = new();
    private bool _completed, _completing;

    public PartitionedWriter(TableSpec table, ColumnBatchPool pool, LakeOptions options, string tempPrefix,
        int encoderThreads, int maxOpenFiles = 256)
    {
        _table = table;
        _pool = pool;
        _workers = new EncoderWorker[Math.Max(1, encoderThreads)];
        for (int i = 0; i < _workers.Length; i++)
            _workers[i] = new EncoderWorker(table, pool, options, $"{tempPrefix}-w{i}", Math.Max(1, maxOpenFiles / _workers.Length));
    }

    public TableSpec Table => _table;

    public void Accept(ColumnBatch batch)
    {
        if (batch.Count == 0) { _pool.Return(batch); return; }
        var timestamps = batch.Int64Values(_table.PartitionColumnIndex);
        long first = LakePaths.PartitionOf(timestamps[0], _table.PartitionHours);
        var (from, to) = LakePaths.PartitionRange(first, _table.PartitionHours);
        bool single = true; // compared with the partition's bounds: no division per row
        for (int i = 1; i < timestamps.Length && single; i++) single = timestamps[i] >= from && timestamps[i] < to;
        if (single && !_pending.ContainsKey(first))
        {
            Send(first, batch);
            _touched.Add(first);
            FlushIdle();
            return;
        }
        Scatter(batch);
        _pool.Return(batch);
        FlushIdle();
    }

    /// <summary>
    /// A pending partition that the latest batch did not touch has most likely seen its last rows (readings arrive
    /// roughly in time order), so it goes to its encoder now rather than holding a batch; a late row simply
    /// starts a new pending batch. This keeps row groups whole and memory flat for time-ordered streams.
    /// </summary>
    private void FlushIdle()
    {
        if (_pending.Count <= _touched.Count) { _touched.Clear(); return; }
        foreach (var hour in _pending.Keys.Order().ToList())
        {
            if (_touched.Contains(hour)) continue;
            var batch = _pending[hour];
            _pending.Remove(hour);
            Send(hour, batch);
        }
        _touched.Clear();
    }

    /// <summary>Gathers a mixed batch's rows into per-partition batches: a stable counting sort of the rows by
    /// hour (batches span few hours), then one column-wise copy per hour.</summary>
    private void Scatter(ColumnBatch batch)
    {
        int n = batch.Count;
        if (_hours.Length < n) RentScratch(Math.Max(n, batch.Capacity)); // one size per table: a kept scratch always fits
        var timestamps = batch.Int64Values(_table.PartitionColumnIndex);
        for (int i = 0; i < n; i++) _hours[i] = LakePaths.PartitionOf(timestamps[i], _table.PartitionHours);
        var bucketOf = _bucket.AsSpan(0, n);
        int buckets = 0, last = -1;
        _bucketIndex.Clear();
        for (int i = 0; i < n; i++)
        {
            long h = _hours[i];
            if (last < 0 || _bucketHour[last] != h)
            {
                // Few hours per batch is the rule: a linear look-up; scattered timestamps switch to a map so a
                // batch of random instants stays linear in its rows.
                last = -1;
                if (buckets <= 16)
                {
                    for (int b = 0; b < buckets; b++) if (_bucketHour[b] == h) { last = b; break; }
                    if (buckets == 16 && last < 0) for (int b = 0; b < buckets; b++) _bucketIndex[_bucketHour[b]] = b;
                }
                else if (_bucketIndex.TryGetValue(h, out int found)) last = found;
                if (last < 0)
                {
                    last = buckets++;
                    _bucketHour[last] = h;
                    _bucketCount[last] = 0;
                    if (buckets > 16) _bucketIndex[h] = last;
                }
            }
            bucketOf[i] = last;
            _bucketCount[last]++;
        }
        int acc = 0;
        for (int b = 0; b < buckets; b++) { int c = _bucketCount[b]; _bucketCount[b] = acc; acc += c; }
        var order = _order.AsSpan(0, n);
        for (int i = 0; i < n; i++) order[_bucketCount[bucketOf[i]]++] = i;
        int start = 0;
        ulong withValues = batch.ColumnsWithValues(); // once per batch, not per hour it spans
        for (int b = 0; b < buckets; b++)
        {
            int end = _bucketCount[b];
            AppendToPartition(_bucketHour[b], batch, order[start..end], withValues);
            start = end;
        }
    }

    /// <summary>Scatter's arrays, kept for the next writer: an input makes writers per segment and per aggregate
    /// table, more at once than the shared array pool keeps per size, so renting there allocated anew.</summary>
    private sealed record Scratch(int[] Order, long[] Hours, int[] Bucket, long[] BucketHour, int[] BucketCount);

    private static readonly FreeList<Scratch> FreeScratch = new(64);
    private Scratch? _scratch;

    private void RentScratch(int n)
    {
        ReturnScratch();
        if (!FreeScratch.TryTake(out var s) || s.Hours.Length < n)
        {
            int size = (int)Math.Min(Array.MaxLength, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)n));
            s = new Scratch(new int[size], new long[size], new int[size], new long[size], new int[size]);
        }
        _scratch = s;
        (_order, _hours, _bucket, _bucketHour, _bucketCount) = (s.Order, s.Hours, s.Bucket, s.BucketHour, s.BucketCount);
    }

    private void ReturnScratch()
    {
        if (_scratch is null) return;
        FreeScratch.Return(_scratch);
        _scratch = null;
        _order = _bucket = _bucketCount = [];
        _hours = _bucketHour = [];
    }

    private void AppendToPartition(long hour, ColumnBatch source, ReadOnlySpan<int> rows, ulong withValues)
    {
        while (!rows.IsEmpty)
        {
            _touched.Add(hour);
            if (!_pending.TryGetValue(hour, out var target))
            {
                target = RentOrFlush();
                _pending[hour] = target;
            }
            int take = Math.Min(rows.Length, target.Capacity - target.Count);
            target.AppendRows(source, rows[..take], withValues);
            rows = rows[take..];
            if (target.IsFullOrLarge)
            {
                var full = target;
                _pending.Remove(hour);
                Send(hour, full);
            }
        }
    }

    /// <summary>
    /// A free batch. When none is free, this writer's pending partitions go to their encoders, fullest first, one at a
    /// time until a batch comes back: the pool is shared with the other segments' writers, which may take the batch
    /// this writer's flush freed, so one flush is not enough, and a writer that kept its other pending batches while
    /// it waited could wait for ever on a writer doing the same.
    /// </summary>
    private ColumnBatch RentOrFlush()
    {
        while (true)
        {
            if (_pool.TryRent(out var batch)) return batch;
            if (_pending.Count == 0) return _pool.Rent(); // nothing of ours to give back: the batches are in flight
            long fullest = 0;
            int most = -1;
            foreach (var (hour, pending) in _pending)
                if (pending.Count > most) { most = pending.Count; fullest = hour; }
            var flushed = _pending[fullest];
            _pending.Remove(fullest);
            Send(fullest, flushed);
            if (_pool.TryRent(TimeSpan.FromMilliseconds(500), out batch)) return batch; // encoders return batches well within this
        }
    }

    private void Send(long hour, ColumnBatch batch) =>
        _workers[(int)((ulong)hour % (ulong)_workers.Length)].Post(hour, batch);

    /// <summary>Hands every pending batch to the encoders and tells them to finish: they encode and close their
    /// files on their own threads, so several writers finish at once. <see cref="Complete"/> then waits for them.</summary>
    public void BeginComplete()
    {
        if (_completing) return;
        _completing = true;
        foreach (var hour in _pending.Keys.Order().ToList())
        {
            Send(hour, _pending[hour]);
            _pending.Remove(hour);
        }
        foreach (var w in _workers) w.BeginComplete();
    }

    /// <summary>Encodes what is pending, closes every file and returns them, still under temporary names.</summary>
    public List<WrittenFile> Complete()
    {
        if (_completed) throw new InvalidOperationException("Already completed.");
        _completed = true;
        BeginComplete();
        var files = new List<WrittenFile>();
        foreach (var w in _workers) files.AddRange(w.Complete());
        return files;
    }

    public void Dispose()
    {
        foreach (var pending in _pending.Values) _pool.Return(pending);
        _pending.Clear();
        foreach (var w in _workers) w.Dispose();
        ReturnScratch();
    }
}
