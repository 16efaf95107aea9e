using Confluent.Kafka;
using Metrify.Engine.Lake;
using Metrify.Engine.Pipeline;
using Microsoft.Extensions.Logging;

namespace Metrify.Connectors.Kafka;

/// <summary>What the daemon's metrics want to know about the Kafka source.</summary>
public interface IKafkaSourceObserver
{
    /// <summary>A chunk is durable in the lake and its offset stored for the background commit.
    /// <paramref name="producedAtMs"/>: the Kafka timestamp of each message.</summary>
    void Published(string topic, int partition, IngestResult result, TimeSpan commitLatency, ReadOnlySpan<long> producedAtMs);

    /// <summary>Messages of the partition not yet read (high watermark minus position).</summary>
    void Lag(string topic, int partition, long lag);

    /// <summary>Publishing failed (the lake or the disk); the chunk's messages are read again after a pause.</summary>
    void Failed(string topic, Exception error);

    /// <summary>Column memory the open chunks hold.</summary>
    void MemoryInUse(long bytes);

    /// <summary>Series (meters, operators, stations) the checks remember, and the bytes their state holds.</summary>
    void SeriesState(string source, int series, long bytes);
}

/// <summary>
/// Consumes the configured topics in a consumer group into the lake, exactly once. Each assigned partition is a
/// <see cref="StreamSource"/>; its messages go into an open <see cref="StreamChunk"/> that is published when it is
/// <c>RollSeconds</c> old, holds <c>RollBytes</c>, when the memory budget runs short, when the partition is revoked,
/// and at shutdown. Publishing writes the files, then the chunk's ledger entry (the commit point), then renames the
/// files; only then is the offset stored for commit to Kafka. On assignment the partition resumes after the ledger's last
/// chunk, not at the committed offset, and first replays chunks whose files did not all land, so nothing is lost or
/// written twice whatever moment the process died at. The ledger lives in the lake, so whichever daemon of the
/// group gets the partition resumes it the same way.
/// </summary>
public sealed partial class KafkaSource
{
    private readonly KafkaOptions _options;
    private readonly Ingestor _ingestor;
    private readonly IKafkaSourceObserver? _observer;
    private readonly ILogger _log;
    private readonly Dictionary<TopicPartition, PartitionState> _partitions = new();
    private readonly ReusedValue _value = new();
    private IConsumer<Ignore, ReusedValue>? _consumer;
    private TimeSpan _backoff = TimeSpan.Zero;
    private long _pausedUntil;

    private readonly int _number;

    /// <param name="consumer">Which of the daemon's <see cref="KafkaOptions.Consumers"/> this is (its client id's suffix).</param>
    public KafkaSource(KafkaOptions options, Ingestor ingestor, IKafkaSourceObserver? observer, ILogger log, int consumer = 1)
    {
        _number = consumer;
        var problems = options.Validate().ToList();
        if (problems.Count > 0) throw new OperatorException(problems[0]);
        if (!options.Enabled) throw new OperatorException("Kafka:BootstrapServers must be set.");
        _options = options;
        _ingestor = ingestor;
        _observer = observer;
        _log = log;
    }

    /// <summary>Partitions this daemon owns right now.</summary>
    public int AssignedPartitions { get; private set; }

    /// <summary>Consumes until <paramref name="stop"/> is signalled, then publishes every open chunk, commits and
    /// leaves the group. Blocks: run it on a thread of its own.</summary>
    /// <param name="leaving">The daemon's consumers, counted down by each once it has published and committed
    /// everything at shutdown; each waits (up to 10 s) for the others before leaving the group, since the first to
    /// leave starts a rebalance in which the others' commits would fail.</param>
    public void Run(CancellationToken stop, CountdownEvent? leaving = null)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = _options.BootstrapServers,
            GroupId = _options.GroupId,
            EnableAutoCommit = true,       // commits what MarkDone() stores, in the background...
            AutoCommitIntervalMs = 1000,
            EnableAutoOffsetStore = false, // ...and only that: an offset is stored after its chunk is in the lake
            AutoOffsetReset = AutoOffsetReset.Earliest, // a new group reads everything: an ingest never skips data
            EnablePartitionEof = false,
            ClientId = $"metrify-{Environment.MachineName}-{Environment.ProcessId}-{_number}",
        };
        foreach (var (key, value) in _options.Properties) config.Set(key, value);
        // Static membership names one member: each consumer of the daemon is one.
        if (_options.Consumers > 1 && config.GroupInstanceId is { Length: > 0 } instance) config.GroupInstanceId = $"{instance}-{_number}";
        using var consumer = new ConsumerBuilder<Ignore, ReusedValue>(config)
            .SetValueDeserializer(_value)
            .SetPartitionsAssignedHandler((_, partitions) => Assigned(partitions))
            .SetPartitionsRevokedHandler((_, partitions) => Revoked(partitions))
            .SetPartitionsLostHandler((_, partitions) => Lost(partitions))
            .SetErrorHandler((_, e) => _log.LogWarning("kafka: {Reason}{Fatal}", e.Reason, e.IsFatal ? " (fatal)" : ""))
            .SetLogHandler((_, m) => { if (m.Level <= SyslogLevel.Warning) _log.LogWarning("librdkafka: {Message}", m.Message); })
            .Build();
        _consumer = consumer;
        _publisher = new ChunkPublisher(this);
        consumer.Subscribe(_options.Topics.Select(t => t.Name));
        _log.LogInformation("consuming {Topics} as group {Group} from {Servers}", string.Join(", ", _options.Topics.Select(t => t.Name)),
            _options.GroupId, _options.BootstrapServers);
        var tick = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                long pause = _pausedUntil - Environment.TickCount64;
                if (pause > 0) stop.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(Math.Min(pause, 1000)));
                ConsumeResult<Ignore, ReusedValue>? message = null;
                try
                {
                    message = consumer.Consume(TimeSpan.FromMilliseconds(100));
                }
                catch (ConsumeException e)
                {
                    _log.LogWarning("kafka: cannot read {Partition}: {Reason}", e.ConsumerRecord?.TopicPartition, e.Error.Reason);
                }
                if (_storesPending)
                {
                    _storesPending = false;
                    foreach (var state in _partitions.Values)
                        if (state.StoreOnAssign is long next)
                        {
                            state.StoreOnAssign = null;
                            MarkDone(state, next);
                        }
                }
                if (message is not null) Handle(message);
                TakeOutcomes();
                if (tick.ElapsedMilliseconds >= 100)
                {
                    tick.Restart();
                    RollDue();
                }
            }
        }
        finally
        {
            // Shutdown: what is open is published and committed, then the group is left (which revokes nothing
            // more: every chunk is closed already).
            foreach (var state in _partitions.Values.ToList()) Roll(state, "shutdown");
            Drain();
            CommitNow(_partitions.Values);
            if (leaving is not null)
            {
                leaving.Signal();
                leaving.Wait(TimeSpan.FromSeconds(10));
            }
            _publisher.Dispose();
            _publisher = null;
            try { consumer.Close(); }
            catch (KafkaException e) { _log.LogWarning("kafka: leaving the group failed: {Reason}", e.Error.Reason); }
            foreach (var state in _partitions.Values) state.Chunk?.Dispose();
            _partitions.Clear();
            _consumer = null;
        }
    }

    private void Handle(ConsumeResult<Ignore, ReusedValue> message)
    {
        // Stopped: a chunk of the partition failed; it is read again from there once the failure is acted on.
        if (!_partitions.TryGetValue(message.TopicPartition, out var state) || state.Fenced || state.Stopped) return;
        long offset = message.Offset.Value;
        var value = _value.Span;
        while (state.Replays.Count > 0)
        {
            var replay = state.Replays.Peek();
            if (offset < replay.First) return; // between chunks to replay: in the lake already
            if (offset <= replay.Last)
            {
                state.Chunk ??= _ingestor.OpenChunk(state.Source, replay.First, replay.ClockMicros);
                if (!Append(state, value, offset)) return;
                if (offset == replay.Last) FinishReplay(state, replay);
                return;
            }
            FinishReplay(state, replay); // the replay's last messages are gone from the topic
        }
        if (state.Next is long next && offset < next) return; // recorded in the ledger: in the lake already
        if (state.Chunk is null || _ingestor.IsShortOfMemory(state.Source))
        {
            int unwinds = state.Unwinds;
            MakeRoom(state);
            // Waiting for the publisher acted on a failure of this partition: it is read again from there.
            if (state.Unwinds != unwinds || state.Stopped || state.Fenced) return;
        }
        if (state.Chunk is null)
        {
            state.Chunk = _ingestor.OpenChunk(state.Source, offset);
            state.OpenedAt = Environment.TickCount64;
        }
        if (!Append(state, value, offset)) return;
        state.AddTimestamp(message.Message.Timestamp.UnixTimestampMs);
        state.Next = offset + 1;
        if (state.Chunk.Bytes >= _options.RollBytes) Roll(state, "size");
    }

    /// <summary>Decodes a message into the partition's open chunk; false if the lake failed meanwhile (a writer
    /// hands on its encoder's failure), and the partition is read again from the chunk's start.</summary>
    private bool Append(PartitionState state, ReadOnlySpan<byte> value, long offset)
    {
        var chunk = state.Chunk!;
        try
        {
            chunk.Append(value, offset);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            FailedWhileDecoding(state, chunk, e);
            return false;
        }
    }

    /// <summary>The lake failed while this thread wrote the chunk: it is undone, and the partition is read again
    /// from its first message, unless a failure of an earlier chunk still being published took it back further.</summary>
    private void FailedWhileDecoding(PartitionState state, StreamChunk chunk, Exception e)
    {
        if (state.Chunk == chunk) state.Chunk = null;
        chunk.Dispose();
        int unwinds = state.Unwinds;
        Drain();
        if (state.Unwinds == unwinds) Failed(state, chunk.First, e);
    }

    /// <summary>When the tables' batch budget runs short, publishes the biggest other open chunks first: one thread
    /// feeds every chunk, so memory held by an idle chunk is only freed by publishing it.</summary>
    private void MakeRoom(PartitionState forState)
    {
        while (_ingestor.IsShortOfMemory(forState.Source))
        {
            var biggest = _partitions.Values.Where(s => s != forState && s.Chunk is not null && s.Replays.Count == 0)
                .MaxBy(s => s.Chunk!.Bytes);
            if (biggest is not null) Roll(biggest, "memory budget");
            else if (_publisher!.Pending > 0)
            {
                _publisher.WaitBelow(_publisher.Pending); // rolled chunks free their batches once published
                TakeOutcomes();
            }
            else return; // only this chunk is open: its writers flush to the encoders as files do
        }
    }

    private void RollDue()
    {
        long now = Environment.TickCount64;
        long after = (long)(_options.RollSeconds * 1000);
        foreach (var state in _partitions.Values.ToList())
            if (state.Chunk is not null && state.Replays.Count == 0 && now - state.OpenedAt >= after) Roll(state, "age");
        if (_observer is null || _consumer is null) return;
        foreach (var (tp, state) in _partitions)
        {
            var w = _consumer.GetWatermarkOffsets(tp);
            if (w.High.Value >= 0 && state.Next is long next) _observer.Lag(tp.Topic, tp.Partition.Value, Math.Max(0, w.High.Value - next));
        }
        _observer.MemoryInUse(_ingestor.MemoryInUse());
        var (series, bytes) = _ingestor.SeriesState;
        _observer.SeriesState("kafka", series, bytes);
    }

    /// <summary>Hands the partition's open chunk to the publisher; its offsets are stored once it is in the lake.</summary>
    private void Roll(PartitionState state, string why)
    {
        var chunk = state.Chunk;
        if (chunk is null) return;
        state.Chunk = null;
        if (state.Replays.Count > 0)
        {
            chunk.Dispose(); // a replay is published whole or not at all; the next owner replays it again
            return;
        }
        try
        {
            chunk.EndDecoding(); // here: the checks see this chunk's last rows before the next chunk's first
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            FailedWhileDecoding(state, chunk, e);
            return;
        }
        _publisher!.Enqueue(new Rolled(state, chunk, why, state.TakeTimestamps()));
        if (_publisher.Pending >= MaxPendingChunks)
        {
            _publisher.WaitBelow(MaxPendingChunks / 2);
            TakeOutcomes();
        }
    }

    private void FinishReplay(PartitionState state, ChunkEntry replay)
    {
        Drain(); // the ledger is written by one thread at a time
        var chunk = state.Chunk;
        state.Chunk = null;
        state.Replays.Dequeue();
        if (chunk is null)
        {
            _log.LogError("{Source}: offsets {First}-{Last} are in the ledger but no longer in the topic (retention?); their missing files cannot be rebuilt",
                state.Source.Name, replay.First, replay.Last);
            return;
        }
        try
        {
            var outcome = _ingestor.PublishChunk(chunk, replay);
            if (chunk.Last != replay.Last || chunk.Messages != replay.Messages)
                _log.LogError("{Source}: replaying offsets {First}-{Last} found {Messages} messages where the ledger has {Expected}: the topic lost messages (retention?)",
                    state.Source.Name, replay.First, replay.Last, chunk.Messages, replay.Messages);
            else if (outcome.ReplayDiffered)
                _log.LogWarning("{Source}: offsets {First}-{Last} replayed into different files than recorded (settings changed); the ledger now names the new ones",
                    state.Source.Name, replay.First, replay.Last);
            else
                _log.LogInformation("{Source}: replayed offsets {First}-{Last}, whose files a crash had kept from the lake", state.Source.Name, replay.First, replay.Last);
            MarkDone(state, replay.Last + 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Failed(state, replay.First, e);
        }
        finally
        {
            chunk.Dispose();
        }
    }

    /// <summary>
    /// Stores the offset after a published chunk; librdkafka commits stored offsets in the background every second,
    /// on revocation and on close. A synchronous commit per chunk would stall this thread on a busy coordinator, and
    /// the committed offset is not what exactly-once rests on: a new owner resumes from the ledger, and the committed
    /// offset can only trail it (lag metrics, tools). Older ledger entries are forgotten: every file they name was
    /// published, so only the newest entry can ever need a replay.
    /// </summary>
    private void MarkDone(PartitionState state, long next)
    {
        StoreOffset(state, next);
        _ingestor.ForgetChunks(state.Source, next);
    }

    /// <summary>
    /// Commits where the lake ends for these partitions, synchronously: before they are given up (revoked, or the
    /// daemon stops), so that the next owner and the lag metrics start from there. The background commit does not
    /// promise to run between the last store and the hand-over, and a member of a daemon with several consumers
    /// gives partitions to its sibling while the process keeps running.
    /// </summary>
    private void CommitNow(IEnumerable<PartitionState> states)
    {
        var offsets = states.Where(s => !s.Fenced && !s.Dropped && s.Replays.Count == 0 && s.Next is not null)
            .Select(s => new TopicPartitionOffset(s.Topic, s.Next!.Value)).ToList();
        if (offsets.Count == 0 || _consumer is null) return;
        try
        {
            _consumer.Commit(offsets);
        }
        catch (KafkaException e)
        {
            _log.LogWarning("kafka: committing {Offsets} failed: {Reason}", string.Join(", ", offsets), e.Error.Reason);
        }
    }

    private void StoreOffset(PartitionState state, long next)
    {
        try
        {
            _consumer!.StoreOffset(new TopicPartitionOffset(state.Topic, next));
        }
        catch (KafkaException e)
        {
            _log.LogWarning("{Source}: storing offset {Offset} failed: {Reason}", state.Source.Name, next, e.Error.Reason);
        }
    }

    /// <summary>The lake could not take the chunk: its messages are read again, after a pause that doubles from
    /// one second up to a minute while the lake keeps failing.</summary>
    private void Failed(PartitionState state, long first, Exception e)
    {
        _observer?.Failed(state.Topic.Topic, e);
        _log.LogError("{Source}: publishing offsets from {First} failed, will read them again: {Error}", state.Source.Name, first, e.Message);
        state.Chunk?.Dispose();
        state.Chunk = null;
        state.ClearTimestamps();
        var resume = _ingestor.ResumeStream(state.Source);
        state.Replays = new Queue<ChunkEntry>(resume.Replays);
        state.Next = resume.Next;
        long at = resume.Replays.Count > 0 ? Math.Min(resume.Replays[0].First, first) : first;
        try
        {
            _consumer!.Seek(new TopicPartitionOffset(state.Topic, at));
        }
        catch (KafkaException k)
        {
            _log.LogWarning("{Source}: seeking back to {Offset} failed: {Reason}", state.Source.Name, at, k.Error.Reason);
        }
        _backoff = TimeSpan.FromTicks(Math.Clamp(_backoff.Ticks * 2, TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromMinutes(1).Ticks));
        _pausedUntil = Environment.TickCount64 + (long)_backoff.TotalMilliseconds;
    }

    /// <summary>Another daemon recorded a chunk at this partition's next position: it owns the partition now (a
    /// rebalance this daemon has not seen yet). Stop reading it; the group will revoke it.</summary>
    private void Fence(PartitionState state, long at)
    {
        state.Fenced = true;
        state.ClearTimestamps();
        _log.LogWarning("{Source}: another daemon has recorded offset {Offset} already; this one stops reading the partition", state.Source.Name, at);
        try { _consumer!.Pause([state.Topic]); }
        catch (KafkaException) { }
    }

    private bool _storesPending;

    private IEnumerable<TopicPartitionOffset> Assigned(List<TopicPartition> partitions)
    {
        var result = new List<TopicPartitionOffset>(partitions.Count);
        foreach (var tp in partitions)
        {
            var source = _options.SourceFor(tp.Topic, tp.Partition.Value);
            var resume = _ingestor.ResumeStream(source);
            var state = new PartitionState(tp, source)
            {
                Replays = new Queue<ChunkEntry>(resume.Replays), Next = resume.Next,
                StoreOnAssign = resume.Replays.Count == 0 ? resume.Next : null,
            };
            _storesPending |= state.StoreOnAssign is not null;
            _partitions[tp] = state;
            // The ledger, not the committed offset, says where the lake ends: a crash between the two leaves the
            // committed offset behind (never ahead). Nothing on record: the group's committed offset, else the start.
            long? at = resume.Replays.Count > 0 ? resume.Replays[0].First : resume.Next;
            result.Add(new TopicPartitionOffset(tp, at is long a ? new Offset(a) : Offset.Unset));
            if (resume.Replays.Count > 0)
                _log.LogWarning("{Source}: {Count} chunks from offset {First} are in the ledger but not all in the lake; replaying them",
                    source.Name, resume.Replays.Count, resume.Replays[0].First);
        }
        AssignedPartitions = _partitions.Count;
        _log.LogInformation("assigned {Partitions}", string.Join(", ", partitions.Select(p => $"{p.Topic}/{p.Partition.Value}")));
        return result;
    }

    private void Revoked(List<TopicPartitionOffset> partitions)
    {
        foreach (var tpo in partitions)
            if (_partitions.TryGetValue(tpo.TopicPartition, out var state) && !state.Fenced) Roll(state, "revoked");
        Drain(); // published (or failed) before the group hands them on
        CommitNow(partitions.Select(p => _partitions.GetValueOrDefault(p.TopicPartition)).OfType<PartitionState>());
        foreach (var tpo in partitions)
        {
            if (!_partitions.Remove(tpo.TopicPartition, out var state)) continue;
            state.Chunk?.Dispose();
        }
        AssignedPartitions = _partitions.Count;
        _log.LogInformation("revoked {Partitions}", string.Join(", ", partitions.Select(p => $"{p.Topic}/{p.Partition.Value}")));
    }

    /// <summary>The group has given the partitions to another member already: publishing now could race it, so
    /// the open chunks are dropped; the new owner reads them from the ledger's end.</summary>
    private void Lost(List<TopicPartitionOffset> partitions)
    {
        foreach (var tpo in partitions)
            if (_partitions.TryGetValue(tpo.TopicPartition, out var state)) state.Dropped = state.Stopped = true;
        Drain(); // the publisher skips their rolled chunks; they are undone with the open ones
        foreach (var tpo in partitions)
        {
            if (!_partitions.Remove(tpo.TopicPartition, out var state)) continue;
            state.Chunk?.Dispose();
        }
        AssignedPartitions = _partitions.Count;
        _log.LogWarning("lost {Partitions}", string.Join(", ", partitions.Select(p => $"{p.Topic}/{p.Partition.Value}")));
    }

    private sealed class PartitionState(TopicPartition topic, StreamSource source)
    {
        private long[] _timestamps = new long[64];
        private int _count;

        public TopicPartition Topic { get; } = topic;
        public StreamSource Source { get; } = source;
        public StreamChunk? Chunk;
        public long OpenedAt;
        /// <summary>The next offset the lake does not have (null: nothing on record yet).</summary>
        public long? Next;
        public Queue<ChunkEntry> Replays = new();
        public bool Fenced;
        /// <summary>A chunk failed or was fenced: the publisher skips the partition's later chunks (set by the
        /// publisher thread, cleared by the consumer thread once it has undone them).</summary>
        public volatile bool Stopped;
        /// <summary>Lost to another member: its unpublished chunks are undone and nothing is resumed.</summary>
        public bool Dropped;
        /// <summary>How often unpublished chunks were undone (a failure acted on).</summary>
        public int Unwinds;
        /// <summary>Rolled chunks that came back unpublished, oldest first, until they are undone.</summary>
        public readonly List<Outcome> Unpublished = [];
        /// <summary>Where the ledger says the lake ends, to store as the partition's offset once it is assigned (a
        /// crash after a publish leaves the committed offset behind; with no new messages nothing else would move it).</summary>
        public long? StoreOnAssign;

        public ReadOnlySpan<long> Timestamps => _timestamps.AsSpan(0, _count);

        public void AddTimestamp(long ms)
        {
            if (_count == _timestamps.Length) Array.Resize(ref _timestamps, _count * 2);
            _timestamps[_count++] = ms;
        }

        public void ClearTimestamps() => _count = 0;

        /// <summary>The open chunk's message timestamps, handed over with the chunk.</summary>
        public long[] TakeTimestamps()
        {
            var taken = _timestamps.AsSpan(0, _count).ToArray();
            _count = 0;
            return taken;
        }
    }

    /// <summary>A value deserializer that copies each message into one reused buffer instead of a new array: the
    /// message is decoded before the next one is read.</summary>
    private sealed class ReusedValue : IDeserializer<ReusedValue>
    {
        private byte[] _buffer = new byte[64 << 10];
        private int _length;

        public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, _length);

        public ReusedValue Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context)
        {
            if (data.Length > _buffer.Length) _buffer = new byte[Math.Max(data.Length, _buffer.Length * 2)];
            data.CopyTo(_buffer);
            _length = isNull ? 0 : data.Length;
            return this;
        }
    }
}
