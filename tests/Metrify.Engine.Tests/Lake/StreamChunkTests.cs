using System.Text;
using Metrify.Engine.Columnar;
using Metrify.Engine.Lake;
using Metrify.Engine.Pipeline;

namespace Metrify.Engine.Tests.Lake;

/// <summary>Chunks of a positioned stream: names from positions, the ledger as commit point and fence.</summary>
public class StreamChunkTests
{
    private static readonly StreamSource Source = new("kafka://t/0", "kafka/t/0", "t+0", Tables.Readings, InputFormat.JsonLines);

    private static byte[] Reading(int minute, double kwh) =>
        Encoding.UTF8.GetBytes($"{{\"meter_id\":\"SM000001\",\"reading_timestamp\":\"2026-03-01T10:{minute:D2}:00Z\",\"consumption_kwh\":{kwh}}}");

    private static Ingestor NewIngestor(string root) =>
        new(new LakeOptions { Root = root }, new IngestOptions { MemoryBudgetBytes = 32L << 20, EncoderThreads = 1, DecodeThreads = 1 });

    [Fact]
    public void A_published_chunk_is_named_by_its_positions_and_recorded_before_the_offsets_move()
    {
        var root = Directory.CreateTempSubdirectory("metrify-chunk-").FullName;
        using var ingestor = NewIngestor(root);
        Assert.Equal(new StreamResume(null, []), ingestor.ResumeStream(Source) with { Replays = [] });
        using (var chunk = ingestor.OpenChunk(Source, 100))
        {
            chunk.Append(Reading(0, 1.5), 100);
            chunk.Append(Reading(15, 2.5), 101);
            chunk.Append("not json"u8, 105); // positions may skip (compacted topics); a bad message is quarantined
            var outcome = ingestor.PublishChunk(chunk);
            Assert.False(outcome.Fenced);
            Assert.Equal(2, outcome.Result!.Stats.Rows);
            Assert.Equal(1, outcome.Result.Stats.Quarantined);
            var names = outcome.Result.Files.Select(f => $"{f.Table}/{Path.GetFileName(f.Path)}").Order().ToList();
            // The second reading closed the meter's first 15 minutes: that row lands with it, in this chunk.
            Assert.Equal(["quarantine/t+0+000000000105+000000000105.parquet", "readings/t+0+000000000100+000000000101.parquet",
                "readings_15min/t+0+000000000101+000000000101.parquet"], names);
        }
        var resume = ingestor.ResumeStream(Source);
        Assert.Equal(106, resume.Next);
        Assert.Empty(resume.Replays);
        var entry = new StreamLedger(root, Source.LedgerKey).Entries().Single();
        Assert.Equal((100L, 105L, 3L), (entry.First, entry.Last, entry.Messages));
        Assert.All(entry.Files, f => Assert.Equal(16, f.Xxh3.Length));

        // A file missing (a crash between the ledger entry and the rename) makes the chunk a replay.
        File.Delete(Path.Combine(root, entry.Files[0].Path));
        Assert.Equal(100, ingestor.ResumeStream(Source).Replays.Single().First);
        Assert.Empty(Directory.EnumerateFiles(root, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_second_owner_resuming_from_the_same_point_is_fenced_off_and_leaves_nothing_behind()
    {
        var root = Directory.CreateTempSubdirectory("metrify-chunk-").FullName;
        using var ingestor = NewIngestor(root);
        using var first = ingestor.OpenChunk(Source, 0);
        using var second = ingestor.OpenChunk(Source, 0);
        first.Append(Reading(0, 1), 0);
        second.Append(Reading(0, 1), 0);
        second.Append(Reading(15, 2), 1);
        Assert.False(ingestor.PublishChunk(first).Fenced);
        Assert.True(ingestor.PublishChunk(second).Fenced);
        second.Dispose();
        var files = Directory.EnumerateFiles(Path.Combine(root, "readings"), "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.Equal(["t+0+000000000000+000000000000.parquet"], files);
        Assert.Equal(1, ingestor.ResumeStream(Source).Next);
    }

    [Fact]
    public void Forgetting_committed_chunks_keeps_the_newest_entry()
    {
        var root = Directory.CreateTempSubdirectory("metrify-chunk-").FullName;
        using var ingestor = NewIngestor(root);
        for (int i = 0; i < 3; i++)
        {
            using var chunk = ingestor.OpenChunk(Source, i * 10);
            chunk.Append(Reading(i, i), i * 10);
            Assert.False(ingestor.PublishChunk(chunk).Fenced);
        }
        Assert.Equal(2, ingestor.ForgetChunks(Source, 21));
        Assert.Equal([20L], new StreamLedger(root, Source.LedgerKey).Entries().Select(e => e.First));
        Assert.Equal(21, ingestor.ResumeStream(Source).Next);
    }

    [Fact]
    public void A_chunk_of_many_messages_keeps_each_ones_position_and_produce_time()
    {
        var root = Directory.CreateTempSubdirectory("metrify-chunk-").FullName;
        using var ingestor = NewIngestor(root);
        const int messages = 1_000; // past the first per-message tables, which grow (and are kept for the next chunk)
        for (int round = 0; round < 2; round++)
        {
            using var chunk = ingestor.OpenChunk(Source, round * 10_000);
            for (int i = 0; i < messages; i++)
            {
                long position = round * 10_000 + i * 3;
                chunk.Append(i == 777 ? "broken"u8 : Reading(i % 60, i), position, producedAtMs: 1_700_000_000_000 + i);
            }
            Assert.Equal(Enumerable.Range(0, messages).Select(i => 1_700_000_000_000L + i), chunk.ProducedAtMs.ToArray());
            var outcome = ingestor.PublishChunk(chunk);
            // The broken message is found at its own position, through the table of where each message starts.
            var quarantine = outcome.Result!.Files.Single(f => f.Table == "quarantine");
            Assert.EndsWith($"+{round * 10_000 + 777 * 3:D12}+{round * 10_000 + 777 * 3:D12}.parquet", quarantine.Path);
        }
    }
}
