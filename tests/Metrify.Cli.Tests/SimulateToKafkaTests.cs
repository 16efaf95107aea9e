using System.Text;
using Confluent.Kafka;

namespace Metrify.Cli.Tests;

/// <summary><c>metrify simulate --to kafka://...</c> against librdkafka's mock cluster, read back with a plain consumer.</summary>
public class SimulateToKafkaTests
{
    [Fact]
    public void The_fleet_lands_in_the_topic_keyed_by_meter_with_every_reading_once()
    {
        using var cluster = new MockCluster();
        var dir = CliRunner.TempDir();
        var r = CliRunner.Ok("simulate", "-o", dir, "--meters", "5", "--days", "1", "--no-faults", "--format", "csv",
            "--to", $"kafka://{cluster.BootstrapServers}/fleet", "--per-message", "4");
        Assert.Contains("produced 480 readings in 120 messages", r.Stdout);
        Assert.True(File.Exists(Path.Combine(dir, "readings.jsonl"))); // what was produced is on disk too

        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers, GroupId = "check", AutoOffsetReset = AutoOffsetReset.Earliest,
        }).SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe("fleet");
        var readings = new HashSet<string>();
        int messages = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (readings.Count < 480 && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            var m = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (m is null) continue;
            messages++;
            var lines = m.Message.Value.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(4, lines.Length);
            Assert.All(lines, l => Assert.Contains($"\"meter_id\":\"{m.Message.Key}\"", l));
            foreach (var l in lines) Assert.True(readings.Add(l), "a reading was produced twice");
        }
        consumer.Close();
        Assert.Equal(480, readings.Count);
        Assert.Equal(120, messages);
    }

    [Fact]
    public void A_bad_target_is_one_line_naming_the_option()
    {
        var r = CliRunner.Run("simulate", "-o", CliRunner.TempDir(), "--meters", "1", "--days", "1", "--to", "kafka://nohost/topic");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--to: 'kafka://nohost/topic' is not kafka://HOST:PORT/TOPIC.", r.Stderr);
    }
}
