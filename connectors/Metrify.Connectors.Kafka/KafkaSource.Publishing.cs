using Metrify.Engine.Pipeline;
using Microsoft.Extensions.Logging;

namespace Metrify.Connectors.Kafka;

public sealed partial class KafkaSource
{
    /// <summary>A rolled chunk on its way into the lake (its messages' produce times travel in the chunk).</summary>
    private sealed record Rolled(PartitionState State, StreamChunk Chunk, string Why);

    /// <summary>What became of a rolled chunk. Not published (<see cref="Published"/> false): it failed
    /// (<see cref="Error"/>), was fenced, or was skipped because an earlier chunk of its partition failed or was
    /// fenced; its series changes are undone by the consumer thread, newest chunk first.</summary>
    private sealed record Outcome(Rolled Job, bool Published, bool Fenced, Exception? Error);

    /// <summary>
    /// Publishes rolled chunks on a thread of its own, in the order they were rolled, while the consumer thread
    /// decodes the next messages: closing a chunk's files, hashing and flushing them and writing its ledger entry
    /// takes tens of milliseconds, and four partitions roll together every <c>RollSeconds</c>. Per partition the
    /// ledger still gets one chunk after the other, and the offset is stored only after its chunk is in the lake.
    /// Once a chunk of a partition fails or is fenced, that partition's later chunks are skipped, not published:
    /// the consumer thread undoes them all and reads the partition again from the failed chunk.
    /// </summary>
    private sealed class ChunkPublisher : IDisposable
    {
        private readonly KafkaSource _source;
        private readonly Queue<Rolled> _queue = new();
        private readonly Queue<Outcome> _outcomes = new();
        private int _outcomeCount; // read without the lock: the consumer thread asks after every message
        private readonly Thread _thread;
        private bool _busy, _stopping;

        public ChunkPublisher(KafkaSource source)
        {
            _source = source;
            _thread = new Thread(Run) { Name = "metrify-publish", IsBackground = true };
            _thread.Start();
        }

        /// <summary>Chunks rolled and not yet published (queued or being published).</summary>
        public int Pending
        {
            get { lock (_queue) return _queue.Count + (_busy ? 1 : 0); }
        }

        public void Enqueue(Rolled job)
        {
            lock (_queue)
            {
                _queue.Enqueue(job);
                Monitor.PulseAll(_queue);
            }
        }

        /// <summary>Waits until fewer than <paramref name="limit"/> chunks are pending (0: until all are done).</summary>
        public void WaitBelow(int limit)
        {
            lock (_queue)
                while (_queue.Count + (_busy ? 1 : 0) > Math.Max(0, limit - 1)) Monitor.Wait(_queue);
        }

        public bool TryTake(out Outcome outcome)
        {
            outcome = null!;
            if (Volatile.Read(ref _outcomeCount) == 0) return false;
            lock (_queue)
            {
                if (!_outcomes.TryDequeue(out outcome!)) return false;
                _outcomeCount--;
                return true;
            }
        }

        private void Run()
        {
            while (true)
            {
                Rolled job;
                lock (_queue)
                {
                    while (_queue.Count == 0 && !_stopping) Monitor.Wait(_queue);
                    if (_queue.Count == 0) return;
                    job = _queue.Dequeue();
                    _busy = true;
                }
                var outcome = Publish(job);
                lock (_queue)
                {
                    _outcomes.Enqueue(outcome);
                    _outcomeCount++;
                    _busy = false;
                    Monitor.PulseAll(_queue);
                }
            }
        }

        private Outcome Publish(Rolled job)
        {
            var state = job.State;
            if (state.Stopped) return new Outcome(job, false, false, null);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                var result = _source._ingestor.PublishChunk(job.Chunk);
                if (result.Fenced)
                {
                    state.Stopped = true;
                    return new Outcome(job, false, true, null);
                }
                if (clock.Elapsed > SlowPublish)
                    _source._log.LogWarning("{Source}: publishing offsets {First}-{Last} took {Seconds:F2} s ({Closing:F2} s finishing its {Files} files, {Syncing:F2} s flushing them and the ledger to disk)",
                        state.Source.Name, job.Chunk.First, job.Chunk.Last, clock.Elapsed.TotalSeconds, result.Closing.TotalSeconds,
                        result.Result!.Files.Count, result.Syncing.TotalSeconds);
                // The ledger is written on this thread only (the consumer thread waits for it to be idle first).
                _source._ingestor.ForgetChunks(state.Source, job.Chunk.Last + 1);
                _source._observer?.Published(state.Topic.Topic, state.Topic.Partition.Value, result.Result!, clock.Elapsed, job.Chunk.ProducedAtMs);
                job.Chunk.Dispose(); // after the observer has read its messages' times
                _source._log.LogDebug("published {Source} offsets {First}-{Last} ({Why}): {Rows} rows, {Files} files",
                    state.Source.Name, job.Chunk.First, job.Chunk.Last, job.Why, result.Result!.Stats.Rows, result.Result.Files.Count);
                return new Outcome(job, true, false, null);
            }
            catch (Exception e)
            {
                state.Stopped = true;
                return new Outcome(job, false, false, e);
            }
        }

        public void Dispose()
        {
            lock (_queue)
            {
                _stopping = true;
                Monitor.PulseAll(_queue);
            }
            _thread.Join();
        }
    }

    private ChunkPublisher? _publisher;

    /// <summary>A publish or a wait for the publisher this long is logged: the consumer reads nothing meanwhile.</summary>
    private static readonly TimeSpan SlowPublish = TimeSpan.FromSeconds(1), LongWait = TimeSpan.FromSeconds(0.5);

    /// <summary>Backpressure: the consumer thread waits until fewer than <paramref name="limit"/> chunks are pending.</summary>
    private void WaitForPublisher(int limit, string why)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        _publisher!.WaitBelow(limit);
        var waited = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        _observer?.Backpressure(waited);
        if (waited > LongWait) _log.LogWarning("kafka: the consumer waited {Seconds:F2} s for the lake: {Why}", waited.TotalSeconds, why);
        TakeOutcomes();
    }

    /// <summary>At most this many rolled chunks wait for the publisher: past it the consumer waits (backpressure
    /// beyond what the memory budget already applies).</summary>
    private const int MaxPendingChunks = 16;

    /// <summary>
    /// Acts on what the publisher finished (consumer thread): stores the offsets of published chunks; for a
    /// partition whose chunk failed or was fenced, waits for the publisher to skip its later chunks, undoes them
    /// and the open chunk, newest first, then resumes it from the ledger (failed) or stops reading it (fenced).
    /// </summary>
    private void TakeOutcomes()
    {
        if (_publisher is null) return;
        var stopped = Take(null);
        if (stopped is null) return;
        _publisher.WaitBelow(0); // every later chunk of a stopped partition comes back before anything is undone
        stopped = Take(stopped);
        foreach (var state in stopped!) Unwind(state);
    }

    private List<PartitionState>? Take(List<PartitionState>? stopped)
    {
        while (_publisher!.TryTake(out var outcome))
        {
            var state = outcome.Job.State;
            if (outcome.Published)
            {
                if (!state.Dropped && !state.Fenced) StoreOffset(state, outcome.Job.Chunk.Last + 1);
                _backoff = TimeSpan.Zero;
                continue;
            }
            state.Unpublished.Add(outcome);
            if (!(stopped ??= []).Contains(state)) stopped.Add(state);
        }
        return stopped;
    }

    /// <summary>Waits until every rolled chunk is published (or failed) and acted on: before the ledger is read or
    /// written on this thread, and before a partition is given up.</summary>
    private void Drain()
    {
        if (_publisher is null) return;
        _publisher.WaitBelow(0);
        TakeOutcomes();
    }
}
