using System.IO.Pipelines;
using System.Text;
using Metrify.Engine.Columnar;
using Metrify.Engine.Frames;
using Metrify.Engine.Frames.Meter;

namespace Metrify.Engine.Tests.Frames.Meter;

/// <summary>Rows of one table as name → value maps.</summary>
public sealed class TableRows(List<Dictionary<string, object?>> rows)
{
    public List<Dictionary<string, object?>> Rows { get; } = rows;
    public int Count => Rows.Count;
    public Dictionary<string, object?> this[int i] => Rows[i];
}

public sealed record MeterDecoded(TableRows Readings, TableRows Registers, TableRows Gas, TableRows Quarantine, FrameStats Stats, long InputBytes)
{
    /// <summary>Registers rows of one OBIS code.</summary>
    public List<Dictionary<string, object?>> Register(string obis) => Registers.Rows.Where(r => (string?)r["obis"] == obis).ToList();
}

/// <summary>Feeds bytes through a real <see cref="Pipe"/> in chunks into a <see cref="MeterFrameReader"/>.</summary>
public static class MeterHarness
{
    public static string Conformance(string name)
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !Directory.Exists(Path.Combine(dir, "tests", "conformance"))) dir = Path.GetDirectoryName(dir);
        return Path.Combine(dir ?? throw new DirectoryNotFoundException("tests/conformance"), "tests", "conformance", "meter-frames", name);
    }

    /// <summary>The bytes of a capture; .hex files are hex text (whitespace ignored).</summary>
    public static byte[] Capture(string name)
    {
        var path = Conformance(name);
        if (!name.EndsWith(".hex", StringComparison.Ordinal)) return File.ReadAllBytes(path);
        var hex = new string(File.ReadAllText(path).Where(char.IsAsciiHexDigit).ToArray());
        return Convert.FromHexString(hex);
    }

    private sealed class Collect(ColumnBatchPool pool) : IBatchSink
    {
        public readonly List<Dictionary<string, object?>> Rows = new();
        public void Accept(ColumnBatch batch)
        {
            var rows = DecodeHarness.Read(batch);
            for (int r = 0; r < rows.Count; r++)
            {
                var map = new Dictionary<string, object?>();
                for (int c = 0; c < rows[r].Length; c++)
                    map[batch.Table.Columns[c].Name] = batch.Table.Columns[c].Kind == ColumnKind.Binary && rows[r][c] is not null
                        ? Encoding.Latin1.GetString(batch.GetBytes(c, r)) // one char per byte
                        : rows[r][c];
                Rows.Add(map);
            }
            pool.Return(batch);
        }
    }

    public static MeterDecoded Decode(byte[] bytes, MeterFrameFormat format = MeterFrameFormat.P1, int chunk = 4096,
        MeterFrameOptions? options = null, long receivedAt = 1_700_000_000_000_000) =>
        Run(bytes, format, options, receivedAt, reader =>
        {
            var pipe = new Pipe(new PipeOptions(minimumSegmentSize: Math.Max(1, chunk), pauseWriterThreshold: 0, useSynchronizationContext: false));
            var write = Task.Run(async () =>
            {
                for (int i = 0; i < bytes.Length; i += chunk)
                {
                    await pipe.Writer.WriteAsync(bytes.AsMemory(i, Math.Min(chunk, bytes.Length - i)));
                }
                await pipe.Writer.CompleteAsync();
            });
            reader.ReadAsync(pipe.Reader).AsTask().GetAwaiter().GetResult();
            write.GetAwaiter().GetResult();
        });

    /// <summary>P1 text given to the reader in two reads cut at <paramref name="cut"/>, the first one's unconsumed
    /// bytes given again with the second: where a pipe's reads end depends on timing, this makes one boundary exact.</summary>
    public static MeterDecoded DecodeSplit(string text, int cut)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        return Run(bytes, MeterFrameFormat.P1, null, 1_700_000_000_000_000, reader =>
        {
            int consumed = reader.Process(bytes.AsSpan(0, cut), isFinal: false);
            reader.Process(bytes.AsSpan(consumed), isFinal: true);
        });
    }

    private static MeterDecoded Run(byte[] bytes, MeterFrameFormat format, MeterFrameOptions? options, long receivedAt, Action<MeterFrameReader> feed)
    {
        options ??= new MeterFrameOptions();
        using var rp = new ColumnBatchPool(Tables.Readings, 256, 16);
        using var gp = new ColumnBatchPool(Tables.Registers, 256, 16);
        using var mp = new ColumnBatchPool(Tables.Gas, 256, 16);
        using var qp = new ColumnBatchPool(Tables.Quarantine, 256, 16);
        var (rs, gs, ms, qs) = (new Collect(rp), new Collect(gp), new Collect(mp), new Collect(qp));
        var output = new MeterFrameOutput(new TableAppender(rp, rs), new TableAppender(gp, gs), new TableAppender(mp, ms),
            new QuarantineCollector("test", qp, qs), receivedAt);
        var reader = new MeterFrameReader(format, options, output);
        feed(reader);
        reader.Complete();
        return new MeterDecoded(new TableRows(rs.Rows), new TableRows(gs.Rows), new TableRows(ms.Rows), new TableRows(qs.Rows), reader.Stats, bytes.Length);
    }


    public static MeterDecoded DecodeText(string text, int chunk = 4096) => Decode(Encoding.ASCII.GetBytes(text), MeterFrameFormat.P1, chunk);

    /// <summary>The rows of frames decoded one by one equal those of the same frames decoded as one stream.</summary>
    public static void AssertSameRows(IEnumerable<Dictionary<string, object?>> alone, List<Dictionary<string, object?>> inStream)
    {
        var e = alone.ToList();
        Xunit.Assert.Equal(e.Count, inStream.Count);
        for (int i = 0; i < e.Count; i++)
            foreach (var (column, value) in e[i])
                Xunit.Assert.True(Equals(value, inStream[i][column]), $"row {i}, {column}: alone {value}, in the stream {inStream[i][column]}");
    }

    public static long Utc(int y, int mo, int d, int h, int mi, int s) =>
        (new DateTimeOffset(y, mo, d, h, mi, s, TimeSpan.Zero).ToUnixTimeMilliseconds()) * 1000;
}
