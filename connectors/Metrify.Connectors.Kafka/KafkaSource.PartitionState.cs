using Confluent.Kafka;
using Metrify.Engine.Lake;
using Metrify.Engine.Pipeline;

namespace Metrify.Connectors.Kafka;

public sealed partial class KafkaSource
{
    private sealed class PartitionState(TopicPartition topic, StreamSource source)
    {
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
