using Metrify.Engine.Columnar;
using Metrify.Engine.Lake;

namespace Metrify.Engine.Tests.Lake;

public class PartitionedWriterTests
{
    private const long T0 = 1_767_571_200_000_000; // 2026-01-05T00:00Z

    private static ColumnBatch Weather(ColumnBatchPool pool, int hours)
    {
        var batch = pool.Rent();
        for (int i = 0; i < hours * 10; i++)
        {
            batch.SetBytes(0, "DWD-1"u8);
            batch.SetInt64(1, T0 + i * 360_000_000L); // ten rows an hour
            batch.SetDouble(2, i);
            batch.CommitRow(i, i + 1);
        }
        var written = new bool[Tables.Weather.Columns.Count];
        written[0] = written[1] = written[2] = true;
        batch.FillUnwrittenOffsets(written);
        return batch;
    }

    private static string[] TempFiles(string root) => Directory.GetFiles(root, "*.tmp", SearchOption.AllDirectories);

    /// <summary>Finishing on the encoders' threads: every hour's file is closed and handed on by Complete.</summary>
    [Fact]
    public void Files_finished_on_the_encoder_threads_are_all_returned()
    {
        var root = Directory.CreateTempSubdirectory("metrify-pw-").FullName;
        using var pool = new ColumnBatchPool(Tables.Weather, 1024, 8);
        using var writer = new PartitionedWriter(Tables.Weather, pool, new LakeOptions { Root = root, Durable = false }, "t", 2);
        writer.Accept(Weather(pool, 3));
        writer.BeginComplete();
        var files = writer.Complete();
        Assert.Equal(3, files.Count);
        Assert.Equal(30, files.Sum(f => f.Rows));
        Assert.All(files, f => Assert.True(File.Exists(f.TempPath)));
    }

    /// <summary>An input that fails after its writers began to finish leaves no temporary file behind.</summary>
    [Fact]
    public void Files_finished_but_never_collected_are_removed_on_dispose()
    {
        var root = Directory.CreateTempSubdirectory("metrify-pw-").FullName;
        using var pool = new ColumnBatchPool(Tables.Weather, 1024, 8);
        using (var writer = new PartitionedWriter(Tables.Weather, pool, new LakeOptions { Root = root, Durable = false }, "t", 2))
        {
            writer.Accept(Weather(pool, 3));
            writer.BeginComplete();
        }
        Assert.Empty(TempFiles(root));
    }
}
