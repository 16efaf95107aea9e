using System.Runtime.ExceptionServices;
using Confluent.Kafka;
using Metrify.Engine.Lake;
using Metrify.Engine.Pipeline;
using Microsoft.Extensions.Logging;

namespace Metrify.Connectors.Kafka;

/// <summary>When the lake fails or another daemon owns a partition: what is undone, where reading resumes.</summary>
public sealed partial class KafkaSource
{
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

    /// <summary>The lake could not take the chunk: its messages are read again, after a pause that doubles from
    /// one second up to a minute while the lake keeps failing.</summary>
    private void Failed(PartitionState state, long first, Exception e)
    {
        _observer?.Failed(state.Topic.Topic, e);
        _log.LogError("{Source}: publishing offsets from {First} failed, will read them again: {Error}", state.Source.Name, first, e.Message);
        state.Chunk?.Dispose();
        state.Chunk = null;
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
        _log.LogWarning("{Source}: another daemon has recorded offset {Offset} already; this one stops reading the partition", state.Source.Name, at);
        try { _consumer!.Pause([state.Topic]); }
        catch (KafkaException) { }
    }

    /// <summary>Undoes a stopped partition's unpublished chunks (the open one first, then the rolled ones, newest
    /// first, so each series gets back the state it had before the first of them) and acts on the first one's fate.</summary>
    private void Unwind(PartitionState state)
    {
        var first = state.Unpublished[0];
        state.Unwinds++;
        state.Chunk?.Dispose();
        state.Chunk = null;
        for (int i = state.Unpublished.Count - 1; i >= 0; i--) state.Unpublished[i].Job.Chunk.Dispose();
        state.Unpublished.Clear();
        if (state.Dropped) return; // lost: the new owner reads it from the ledger's end
        if (first.Fenced)
        {
            Fence(state, first.Job.Chunk.First);
            return;
        }
        if (first.Error is not (IOException or UnauthorizedAccessException))
            ExceptionDispatchInfo.Capture(first.Error!).Throw(); // a bug, not the lake: as if it had been thrown here
        state.Stopped = false;
        Failed(state, first.Job.Chunk.First, first.Error);
    }
}
