using Confluent.Kafka;
using Metrify.Engine.Lake;
using Microsoft.Extensions.Logging;

namespace Metrify.Connectors.Kafka;

/// <summary>The source's life in the consumer group: partitions assigned, revoked and lost, and the offsets it stores
/// and commits for them.</summary>
public sealed partial class KafkaSource
{
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
}
