using System.Text;
using Metrify.Engine.Columnar;
using Metrify.Engine.Frames;
using Metrify.Engine.Frames.Csv;
using Metrify.Engine.Frames.Json;

namespace Metrify.Engine.Tests.Frames;

public sealed record QuarantinedRecord(long Line, long Offset, string Reason, string Detail, string Raw, long ContextTimestamp);

public sealed record Decoded(List<object?[]> Rows, List<QuarantinedRecord> Quarantine, DecodeStats Stats);

/// <summary>Runs a decoder over bytes fed in chunks (as the ingest loop does) and reads back rows as plain values.</summary>
public static class DecodeHarness
{
    private sealed class Collect(ColumnBatchPool pool) : IBatchSink
    {
        public readonly List<object?[]> Rows = new();
        public void Accept(ColumnBatch batch)
        {
            Rows.AddRange(Read(batch));
            pool.Return(batch);
        }
    }

    public static List<object?[]> Read(ColumnBatch batch)
    {
        var rows = new List<object?[]>();
        for (int r = 0; r < batch.Count; r++)
        {
            var row = new object?[batch.Table.Columns.Count];
            for (int c = 0; c < row.Length; c++)
            {
                if (!batch.IsValid(c, r)) continue;
                row[c] = batch.Table.Columns[c].Kind switch
                {
                    ColumnKind.Utf8 => Encoding.UTF8.GetString(batch.GetBytes(c, r)),
                    ColumnKind.Binary => Encoding.UTF8.GetString(batch.GetBytes(c, r)),
                    ColumnKind.Float64 => batch.DoubleValues(c)[r],
                    ColumnKind.Int32 => batch.Int32Values(c)[r],
                    _ => (object)batch.Int64Values(c)[r],
                };
            }
            rows.Add(row);
        }
        return rows;
    }

    public static Decoded Csv(string text, TableSpec? table = null, int chunk = int.MaxValue, int maxRecordBytes = 1 << 20, int batchRows = 1024) =>
        Csv(Encoding.UTF8.GetBytes(text), table, chunk, maxRecordBytes, batchRows);

    public static Decoded Csv(byte[] bytes, TableSpec? table = null, int chunk = int.MaxValue, int maxRecordBytes = 1 << 20, int batchRows = 1024)
    {
        table ??= Tables.Readings;
        int nl = Array.IndexOf(bytes, (byte)'\n');
        var headerLine = bytes.AsSpan(0, nl).TrimEnd((byte)'\r');
        var layout = CsvLayout.TryCreate(table, CsvLayout.ParseHeader(headerLine, CsvLayout.DetectSeparator(headerLine)),
            CsvLayout.DetectSeparator(headerLine), out var error) ?? throw new InvalidOperationException(error);
        return Run((pool, sink, q) => new CsvDecoder(layout, pool, sink, q, 2, maxRecordBytes), bytes, nl + 1, table, chunk, batchRows);
    }

    public static Decoded Json(string text, TableSpec? table = null, int chunk = int.MaxValue, int maxRecordBytes = 1 << 20) =>
        Run((pool, sink, q) => new JsonLinesDecoder(table ?? Tables.Readings, pool, sink, q, maxRecordBytes),
            Encoding.UTF8.GetBytes(text), 0, table ?? Tables.Readings, chunk, 1024);

    public static Decoded Run(Func<ColumnBatchPool, IBatchSink, QuarantineCollector, RecordDecoder> create, byte[] bytes, int start,
        TableSpec table, int chunk, int batchRows)
    {
        using var pool = new ColumnBatchPool(table, batchRows, 8);
        using var qpool = new ColumnBatchPool(Tables.Quarantine, 1024, 8);
        var sink = new Collect(pool);
        var qsink = new Collect(qpool);
        var decoder = create(pool, sink, new QuarantineCollector("test.csv", qpool, qsink));
        // The ingest loop: a window that grows by `chunk` bytes; unconsumed bytes are offered again.
        int consumed = start;
        int available = start;
        while (true)
        {
            available = (int)Math.Min((long)available + chunk, bytes.Length);
            bool final = available == bytes.Length;
            consumed += decoder.Decode(bytes.AsSpan(consumed, available - consumed), consumed, final);
            if (final) break;
        }
        decoder.Complete();
        var quarantine = qsink.Rows.Select(r => new QuarantinedRecord((long)r[2]!, (long)r[3]!, (string)r[4]!, (string)r[5]!, (string)r[6]!, (long)r[7]!)).ToList();
        return new Decoded(sink.Rows, quarantine, decoder.Stats);
    }
}
