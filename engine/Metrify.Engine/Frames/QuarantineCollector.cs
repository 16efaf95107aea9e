using System.Text;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Frames;

/// <summary>
/// Collects the records of one source that could not be decoded into <c>quarantine</c> rows. This is the cold
/// path: it formats strings. Each row is partitioned by the event time of the nearest good record of the same
/// source (the one before it, else the first after it, else the epoch), so a replay puts it in the same place.
/// </summary>
public sealed class QuarantineCollector
{
    private const long Pending = long.MinValue;
    private readonly ColumnBatchPool _pool;
    private readonly IBatchSink _sink;
    private readonly byte[] _source;
    private ColumnBatch? _batch;
    private readonly TableSpec _table = Tables.Quarantine;
    private readonly int _contextColumn;
    private bool _hasPending;

    private readonly Lazy<long>? _linesBefore;
    private readonly Func<long, (long Line, long Byte)>? _locate;

    /// <param name="linesBefore">Lines of the source before the decoder's first line (when a segment of a larger
    /// input is decoded on its own); added to every line number.</param>
    /// <param name="locate">For sources of messages (Kafka): turns a decoder's byte offset into the message's
    /// position (stored as <c>line_number</c>) and the offset within the message (<c>byte_offset</c>).</param>
    public QuarantineCollector(string source, ColumnBatchPool pool, IBatchSink sink, Lazy<long>? linesBefore = null,
        Func<long, (long Line, long Byte)>? locate = null)
    {
        _linesBefore = linesBefore;
        _locate = locate;
        if (!ReferenceEquals(pool.Table, Tables.Quarantine)) throw new ArgumentException("Needs a quarantine batch pool.", nameof(pool));
        _source = Encoding.UTF8.GetBytes(source);
        _pool = pool;
        _sink = sink;
        _contextColumn = _table.PartitionColumnIndex;
    }

    /// <summary>Reasons seen so far, with the first detail of each (for a log line per kind, not per record).</summary>
    public Dictionary<QuarantineReason, string> FirstDetails { get; } = new();

    public void Add(string targetTable, long lineNumber, long byteOffset, QuarantineReason reason, string detail,
        ReadOnlySpan<byte> raw, long contextTimestamp)
    {
        if (_linesBefore is not null) lineNumber += _linesBefore.Value;
        long rowStart = byteOffset;
        if (_locate is not null) (lineNumber, byteOffset) = _locate(byteOffset);
        FirstDetails.TryAdd(reason, _locate is not null ? $"message {lineNumber}: {detail}"
            : lineNumber > 0 ? $"line {lineNumber}: {detail}" : $"byte {byteOffset}: {detail}");
        _batch ??= _pool.Rent();
        var b = _batch;
        b.SetBytes(0, _source);
        b.SetBytes(1, Encoding.UTF8.GetBytes(targetTable));
        b.SetInt64(2, lineNumber);
        b.SetInt64(3, byteOffset);
        b.SetBytes(4, Encoding.UTF8.GetBytes(QuarantineReasons.Code(reason)));
        b.SetBytes(5, Encoding.UTF8.GetBytes(detail));
        b.SetBytes(6, raw);
        b.SetInt64(_contextColumn, contextTimestamp == long.MinValue ? Pending : contextTimestamp);
        _hasPending |= contextTimestamp == long.MinValue;
        b.CommitRow(rowStart, rowStart + raw.Length);
        if (b.IsFullOrLarge) Flush(0);
    }

    /// <summary>Gives rows still waiting for a context the first good event time of the source.</summary>
    public void ResolvePending(long firstGoodTimestamp)
    {
        if (!_hasPending || _batch is null) return;
        var values = _batch.MutableInt64Values(_contextColumn);
        for (int i = 0; i < values.Length; i++)
            if (values[i] == Pending) values[i] = firstGoodTimestamp;
        _hasPending = false;
    }

    /// <summary>Gives the collected rows' batch back to its pool without handing it on.</summary>
    public void Abandon()
    {
        if (_batch is null) return;
        _pool.Return(_batch);
        _batch = null;
    }

    /// <summary>Hands the collected rows on; rows still without context get <paramref name="fallbackTimestamp"/>.</summary>
    public void Flush(long fallbackTimestamp)
    {
        if (_batch is null) return;
        ResolvePending(fallbackTimestamp);
        if (_batch.Count == 0) { _pool.Return(_batch); _batch = null; return; }
        _sink.Accept(_batch);
        _batch = null;
    }
}
