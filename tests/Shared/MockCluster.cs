using Confluent.Kafka;

namespace Metrify.Tests.Shared;

/// <summary>
/// librdkafka's built-in mock cluster: a real Kafka-protocol broker inside this process, reachable by any client
/// (other processes too) at <see cref="BootstrapServers"/>. It lives as long as this object; topics are created on
/// first use with 4 partitions.
/// </summary>
public sealed class MockCluster : IDisposable
{
    private readonly IAdminClient _admin;

    public MockCluster()
    {
        var config = new AdminClientConfig();
        config.Set("test.mock.num.brokers", "1");
        config.Set("log_level", "3");
        _admin = new AdminClientBuilder(config).SetLogHandler((_, _) => { }).Build();
        var broker = _admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers[0];
        BootstrapServers = $"{broker.Host}:{broker.Port}";
    }

    public string BootstrapServers { get; }

    /// <summary>Produces the messages (key, value) in order and waits until the broker has them all.</summary>
    public void Produce(string topic, IEnumerable<(string Key, byte[] Value)> messages)
    {
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = BootstrapServers, LingerMs = 5, EnableIdempotence = true })
            .SetLogHandler((_, _) => { }).Build();
        foreach (var (key, value) in messages)
        {
            while (true)
            {
                try
                {
                    producer.Produce(topic, new Message<string, byte[]> { Key = key, Value = value });
                    break;
                }
                catch (ProduceException<string, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(50));
                }
            }
        }
        if (producer.Flush(TimeSpan.FromSeconds(60)) != 0) throw new TimeoutException("the mock cluster did not take every message");
    }

    /// <summary>The committed offset of each partition of the topic for the group (-1001 when none).</summary>
    public long[] Committed(string group, string topic, int partitions = 4)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = BootstrapServers, GroupId = group })
            .SetLogHandler((_, _) => { }).Build();
        var tps = Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)).ToList();
        return consumer.Committed(tps, TimeSpan.FromSeconds(10)).OrderBy(t => t.Partition.Value).Select(t => t.Offset.Value).ToArray();
    }

    public void Dispose() => _admin.Dispose();
}
