using Metrify.Engine.Columnar;
using Metrify.Engine.Frames;
using Metrify.Engine.Frames.Csv;
using Metrify.Engine.Frames.Json;
using Metrify.Engine.Frames.Meter;
using Metrify.Engine.Lake;

namespace Metrify.Engine.Pipeline;

/// <summary>
/// A run of consecutive messages of one <see cref="StreamSource"/>, decoded as they are appended into batches that
/// the partitioned writers encode in the background, until the chunk is published as one unit (files plus one ledger
/// entry) by <see cref="Ingestor.PublishChunk"/>. Messages are laid end to end in a byte space of the chunk's own,
/// so the decoders and writers work exactly as on a file; a table of where each message starts turns those bytes
/// back into stream positions for file names and quarantine rows.
/// </summary>
public sealed class StreamChunk : IDisposable
{
    private readonly RecordDecoder? _decoder;
    private readonly PartitionedWriter? _writer, _quarantineWriter;
    private readonly Ingestor.FrameSinks? _frameSinks;
    private readonly MeterFrameReader? _frames;
    private long[] _starts = ArraysBySize<long>.Rent(256);     // chunk byte where each message starts
    private long[] _positions = ArraysBySize<long>.Rent(256);  // its stream position
    private long[] _producedAt = ArraysBySize<long>.Rent(256); // when it was produced (ms since the epoch, 0 if unknown)
    private long _bytes;
    private bool _completed;
    private List<WrittenFile>? _files;
    private readonly MeterFrameOutput? _frameOutput;
    private readonly Quality.CheckingSink? _checked;
    private readonly Quality.SeriesJournal _journal = new();
    private readonly Quality.AggregateOutput? _aggregates;
    private bool _published;

    internal StreamChunk(Ingestor ingestor, StreamSource source, long first, long clockMicros, int encoderThreads)
    {
        Source = source;
        First = Last = first;
        ClockMicros = clockMicros;
        var tempPrefix = $"tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        if (source.Format is InputFormat.Csv or InputFormat.JsonLines)
        {
            var pool = ingestor.PoolFor(source.Table);
            var quarantinePool = ingestor.PoolFor(Tables.Quarantine);
            _writer = new PartitionedWriter(source.Table, pool, ingestor.Lake, tempPrefix, encoderThreads, ingestor.Options.MaxOpenFiles);
            _quarantineWriter = new PartitionedWriter(Tables.Quarantine, quarantinePool, ingestor.Lake, tempPrefix + "-q", 1, 16);
            Quarantine = new QuarantineCollector(source.Name, quarantinePool, _quarantineWriter, locate: Locate);
            _aggregates = ingestor.NewAggregateOutput(tempPrefix);
            var sink = _checked = ingestor.Checked(source.Table, _writer, clockMicros, journal: _journal, aggregates: _aggregates);
            _decoder = source.Format == InputFormat.Csv
                ? new CsvDecoder(source.Layout ?? StreamSource.CsvLayoutFor(source.Table, null), pool, sink, Quarantine, 1, ingestor.Options.MaxRecordBytes)
                : new JsonLinesDecoder(source.Table, pool, sink, Quarantine, ingestor.Options.MaxRecordBytes);
        }
        else
        {
            var format = source.Format switch
            {
                InputFormat.P1 => MeterFrameFormat.P1,
                InputFormat.Sml => MeterFrameFormat.Sml,
                _ => MeterFrameFormat.EncryptedP1,
            };
            _frameSinks = new Ingestor.FrameSinks(ingestor, source.Name, clockMicros, clockMicros, Locate, _journal);
            Quarantine = _frameSinks.Quarantine;
            _frameOutput = _frameSinks.Output;
            _frames = new MeterFrameReader(format, ingestor.FrameOptions, _frameOutput);
        }
    }

    public StreamSource Source { get; }
    /// <summary>Position of the first message (the chunk's name in the ledger).</summary>
    public long First { get; }
    /// <summary>Position of the last message appended.</summary>
    public long Last { get; private set; }
    public long Messages { get; private set; }
    /// <summary>Input bytes appended.</summary>
    public long Bytes => _bytes;
    /// <summary>The clock of the quality checks, recorded in the ledger so that a replay flags exactly the same rows.</summary>
    public long ClockMicros { get; }
    public QuarantineCollector Quarantine { get; }

    /// <summary>Decodes one message. Each message holds whole records (text lines, or frames).</summary>
    /// <param name="producedAtMs">When the message was produced (ms since the epoch), for the latency the
    /// source reports once the chunk is in the lake; 0 if unknown.</param>
    public void Append(ReadOnlySpan<byte> message, long position, long producedAtMs = 0)
    {
        if (_completed) throw new InvalidOperationException("The chunk is complete.");
        if (Messages > 0 && position <= Last) throw new ArgumentOutOfRangeException(nameof(position), $"position {position} is not after {Last}");
        if (Messages == _starts.Length)
        {
            // Kept for the next chunk (ArraysBySize): tables this size are made on the large object heap.
            _starts = ArraysBySize<long>.Grow(_starts, _starts.Length * 2, _starts.Length);
            _positions = ArraysBySize<long>.Grow(_positions, _positions.Length * 2, _positions.Length);
            _producedAt = ArraysBySize<long>.Grow(_producedAt, _producedAt.Length * 2, _producedAt.Length);
        }
        _starts[Messages] = _bytes;
        _positions[Messages] = position;
        _producedAt[Messages] = producedAtMs;
        Messages++;
        Last = position;
        if (_decoder is not null) _decoder.Decode(message, _bytes, isFinalBlock: true);
        else
        {
            _frames!.ContinueAt(_bytes);
            _frames.Process(message, isFinal: true);
        }
        // One byte between messages: a record never runs on into the next message, and every byte of the chunk
        // belongs to exactly one message.
        _bytes += message.Length + 1;
    }

    /// <summary>When each message was produced, as given to <see cref="Append"/>.</summary>
    public ReadOnlySpan<long> ProducedAtMs => _producedAt.AsSpan(0, (int)Messages);

    /// <summary>The message holding chunk byte <paramref name="at"/>: its position and the offset within it.</summary>
    private (long Position, long Byte) Locate(long at)
    {
        int i = Array.BinarySearch(_starts, 0, (int)Messages, at);
        if (i < 0) i = ~i - 1;
        return (_positions[Math.Max(i, 0)], at - _starts[Math.Max(i, 0)]);
    }

    /// <summary>The stream position of the message holding chunk byte <paramref name="at"/>.</summary>
    internal long PositionAt(long at) => Locate(at).Position;

    /// <summary>Decodes what is left: the last partial batch goes through the checks and to the writers. Call it on
    /// the thread that appended, before another thread publishes the chunk, so that the series checks see every
    /// row of this chunk before any row of the next.</summary>
    public void EndDecoding()
    {
        if (_completed) return;
        _completed = true;
        if (_decoder is not null) _decoder.Complete();
        else _frames!.Complete();
    }

    /// <summary>Finishes decoding and encoding; every file is closed, still under its temporary name.</summary>
    internal (List<WrittenFile> Files, DecodeStats Stats, FrameStats? Frames) Complete()
    {
        EndDecoding();
        if (_decoder is not null)
        {
            // Every writer finishes its files on its own threads at once; then they are collected.
            _writer!.BeginComplete();
            _quarantineWriter!.BeginComplete();
            _aggregates!.BeginComplete();
            _files = _writer!.Complete();
            _files.AddRange(_quarantineWriter!.Complete());
            _files.AddRange(_aggregates!.Complete());
            return (_files, Ingestor.WithChecks(_decoder.Stats, _checked), null);
        }
        _files = _frameSinks!.Complete();
        return (_files, Ingestor.WithChecks(Ingestor.ToDecodeStats(_frames!.Stats), _frameSinks.ReadingChecks), _frames.Stats);
    }

    /// <summary>The chunk is in the lake: the series checks' changes stand.</summary>
    internal void Published()
    {
        _published = true;
        _frameSinks?.Published();
    }

    /// <summary>Drops the chunk: its batches go back to the pools and its temporary files are deleted (a chunk that
    /// was not published is replayed from the stream by whoever owns it next).</summary>
    public void Dispose()
    {
        if (!_published) _journal.Undo(); // its messages are read again, by this owner or the next
        if (!_completed)
        {
            _decoder?.Abandon();
            _frameOutput?.Abandon();
        }
        _aggregates?.Dispose();
        _writer?.Dispose();
        _quarantineWriter?.Dispose();
        _frameSinks?.Dispose();
        _journal.Release();
        // Published files were renamed away; what is left under a temporary name was never part of the lake.
        foreach (var f in _files ?? [])
            if (File.Exists(f.TempPath)) File.Delete(f.TempPath);
        if (_starts.Length > 0)
        {
            ArraysBySize<long>.Return(_starts);
            ArraysBySize<long>.Return(_positions);
            ArraysBySize<long>.Return(_producedAt);
            _starts = _positions = _producedAt = [];
        }
    }
}
