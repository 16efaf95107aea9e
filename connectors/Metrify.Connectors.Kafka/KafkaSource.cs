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

    /// <summary>The consumer thread stopped reading to wait for the publisher (backpressure).</summary>
    void Backpressure(TimeSpan waited);

    /// <summary>Partitions the daemon's consumer number <paramref name="consumer"/> owns after an assignment or revocation.</summary>
    void Assignment(int consumer, int partitions);
}

/// <summary>
/// Consumes the configured topics in a consumer group into the lake, exactly once. Each assigned partition is a
/// <see cref="StreamSource"/>; its messages go into an open <see cref="StreamChunk"/> that is published when it is
/// <c>RollSeconds</c> old, holds <c>RollBytes</c>, when the memory budget runs short, when the partition is revoked,
/// and at shutdown. Publishing, on a thread of its own (<c>KafkaSource.Publishing.cs</c>), writes the files, then the
/// chunk's ledger entry (the commit point), then renames the files; only then is the offset stored for commit to Kafka. On assignment the partition resumes after the ledger's last
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

    /// <summary>Partitions this consumer owns right now.</summary>
    public int AssignedPartitions
    {
        get;
        private set
        {
            field = value;
            _observer?.Assignment(_number, value);
        }
    }

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
                // No produce time: a replayed message was in the lake before, its latency was counted then.
                if (!Append(state, value, offset, producedAtMs: 0)) return;
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
        if (!Append(state, value, offset, message.Message.Timestamp.UnixTimestampMs)) return;
        state.Next = offset + 1;
        if (state.Chunk.Bytes >= _options.RollBytes) Roll(state, "size");
    }

    /// <summary>Decodes a message into the partition's open chunk; false if the lake failed meanwhile (a writer
    /// hands on its encoder's failure), and the partition is read again from the chunk's start.</summary>
    private bool Append(PartitionState state, ReadOnlySpan<byte> value, long offset, long producedAtMs)
    {
        var chunk = state.Chunk!;
        try
        {
            chunk.Append(value, offset, producedAtMs);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            FailedWhileDecoding(state, chunk, e);
            return false;
        }
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
                WaitForPublisher(_publisher.Pending, "the memory budget (Ingest:MemoryBudgetBytes) is held by rolled chunks"); // they free their batches once published
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
        _publisher!.Enqueue(new Rolled(state, chunk, why));
        if (_publisher.Pending >= MaxPendingChunks)
            WaitForPublisher(MaxPendingChunks / 2, $"{MaxPendingChunks} rolled chunks wait to be published");
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
}
