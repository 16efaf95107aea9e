using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Metrify.Bench.Daemon;

/// <summary>
/// Creates topics on librdkafka's mock cluster with a chosen partition count, through librdkafka's mock API
/// (<c>rdkafka_mock.h</c>: <c>rd_kafka_handle_mock_cluster</c>, <c>rd_kafka_mock_topic_create</c>). The mock's
/// Kafka admin API cannot create topics, and a topic it creates on first use has 4 partitions, each keeping only its
/// newest 5 MB: at 1,000,000 readings/s about half a second. Confluent.Kafka does not expose the client's native
/// handle, so it is read by reflection, and the functions are called in the librdkafka it loaded.
/// </summary>
internal static unsafe class MockTopics
{
    public static void Create(IClient client, string topic, int partitions)
    {
        var handle = typeof(Handle).GetProperty("LibrdkafkaHandle", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(client.Handle) as SafeHandle
            ?? throw new InvalidOperationException("Confluent.Kafka's handle has no LibrdkafkaHandle: the mock topic cannot be created.");
        var library = NativeLibrary.Load(LoadedLibrdkafka());
        var cluster = ((delegate* unmanaged<IntPtr, IntPtr>)NativeLibrary.GetExport(library, "rd_kafka_handle_mock_cluster"))(handle.DangerousGetHandle());
        if (cluster == IntPtr.Zero) throw new InvalidOperationException("The client is not a mock cluster's (test.mock.num.brokers).");
        var create = (delegate* unmanaged<IntPtr, byte*, int, int, int>)NativeLibrary.GetExport(library, "rd_kafka_mock_topic_create");
        var name = System.Text.Encoding.UTF8.GetBytes(topic + "\0");
        fixed (byte* p = name)
        {
            int error = create(cluster, p, partitions, 1);
            if (error != 0) throw new InvalidOperationException($"rd_kafka_mock_topic_create({topic}, {partitions}) failed: error {error}");
        }
    }

    /// <summary>The path of the librdkafka this process loaded (Confluent.Kafka picks one of several builds).</summary>
    private static string LoadedLibrdkafka() =>
        File.ReadLines("/proc/self/maps").Select(l => l[(l.IndexOf('/') is var i and >= 0 ? i : l.Length)..])
            .FirstOrDefault(p => p.EndsWith("librdkafka.so", StringComparison.Ordinal) || p.Contains("librdkafka.so.", StringComparison.Ordinal))
        ?? throw new InvalidOperationException("librdkafka is not loaded.");
}
