using System.Text;
using Confluent.Kafka;
using Metrify.Engine.Pipeline;

namespace Metrify.Connectors.Kafka;

/// <summary>What producing a file into Kafka did.</summary>
public sealed record ProduceResult(long Records, long Messages, long Bytes, TimeSpan Elapsed);

/// <summary>
/// Produces a JSON lines file (a simulated fleet's readings) into a topic the way a head-end system would: keyed by
/// meter id, so each meter's readings stay in order on one partition, with up to <c>perMessage</c> readings of one
/// meter per message. For demos and load tests of <c>metrify run</c>; not a hot path.
/// </summary>
public static class KafkaFleetProducer
{
    private static readonly byte[] MeterField = "\"meter_id\":\""u8.ToArray();

    /// <summary>Parses <c>kafka://host:port/topic</c>.</summary>
    public static (string Servers, string Topic) ParseTarget(string target)
    {
        if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || uri.Scheme != "kafka" || uri.Port <= 0
            || uri.AbsolutePath.Trim('/') is not { Length: > 0 } topic || topic.Contains('/'))
            throw new OperatorException($"--to: '{target}' is not kafka://HOST:PORT/TOPIC.");
        return ($"{uri.Host}:{uri.Port}", topic);
    }

    public static ProduceResult Produce(string jsonLinesFile, string servers, string topic, int perMessage,
        IReadOnlyDictionary<string, string>? properties = null, IProgress<long>? progress = null)
    {
        if (perMessage < 1) throw new OperatorException($"--per-message must be at least 1 (is {perMessage}).");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var config = new ProducerConfig
        {
            BootstrapServers = servers,
            LingerMs = 20,
            BatchSize = 1 << 20,
            CompressionType = CompressionType.Lz4,
            EnableIdempotence = true, // a retried batch is not written twice: the record counts stay exact
        };
        foreach (var (key, value) in properties ?? new Dictionary<string, string>()) config.Set(key, value);
        string? failure = null;
        using var producer = new ProducerBuilder<byte[]?, byte[]>(config)
            .SetLogHandler((_, _) => { })
            .Build();
        var pending = new Dictionary<string, (StringBuilder Lines, int Count)>(StringComparer.Ordinal);
        long records = 0, messages = 0, bytes = 0;
        void Send(string? meter, string value)
        {
            var message = new Message<byte[]?, byte[]> { Key = meter is null ? null : Encoding.UTF8.GetBytes(meter), Value = Encoding.UTF8.GetBytes(value) };
            while (true)
            {
                try
                {
                    producer.Produce(topic, message, r => { if (r.Error.IsError) failure ??= r.Error.Reason; });
                    break;
                }
                catch (ProduceException<byte[]?, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(20));
                }
            }
            messages++;
            bytes += message.Value.Length;
            if (failure is not null) throw new OperatorException($"--to: producing to {topic} at {servers} failed: {failure}");
        }
        foreach (var line in File.ReadLines(jsonLinesFile))
        {
            if (line.Length == 0) continue;
            records++;
            var meter = MeterOf(line);
            if (meter is null || perMessage == 1)
            {
                Send(meter, line + "\n");
                continue;
            }
            if (!pending.TryGetValue(meter, out var p)) p = (new StringBuilder(), 0);
            p.Lines.Append(line).Append('\n');
            p.Count++;
            if (p.Count == perMessage)
            {
                Send(meter, p.Lines.ToString());
                p = (p.Lines.Clear(), 0);
            }
            pending[meter] = p;
            if ((records & 0xFFFF) == 0) progress?.Report(records);
        }
        foreach (var (meter, p) in pending)
            if (p.Count > 0) Send(meter, p.Lines.ToString());
        if (producer.Flush(TimeSpan.FromMinutes(2)) > 0) throw new OperatorException($"--to: {topic} at {servers} did not take every message within 2 minutes.");
        if (failure is not null) throw new OperatorException($"--to: producing to {topic} at {servers} failed: {failure}");
        return new ProduceResult(records, messages, bytes, clock.Elapsed);
    }

    /// <summary>The <c>meter_id</c> of a JSON line, or null (a malformed line: it is sent without a key).</summary>
    private static string? MeterOf(string line)
    {
        int at = line.IndexOf("\"meter_id\":\"", StringComparison.Ordinal);
        if (at < 0) return null;
        at += MeterField.Length;
        int end = line.IndexOf('"', at);
        return end > at ? line[at..end] : null;
    }
}
