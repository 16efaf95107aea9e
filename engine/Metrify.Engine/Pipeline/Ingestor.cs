using System.Buffers;
using System.Diagnostics;
using System.IO.Hashing;
using Metrify.Engine.Columnar;
using Metrify.Engine.Frames;
using Metrify.Engine.Frames.Csv;
using Metrify.Engine.Frames.Json;
using Metrify.Engine.Frames.Meter;
using Metrify.Engine.Lake;

namespace Metrify.Engine.Pipeline;

/// <summary>
/// Ingests files into the lake: splits each into segments at line boundaries, decodes the segments in parallel
/// (each streamed through its own reused buffer), encodes Parquet on background threads, then publishes the
/// files and the ledger entry. Column memory is pooled per table for the life of the ingestor, so a run of many
/// files touches fresh memory once.
/// </summary>
public sealed partial class Ingestor : IDisposable
{
    private readonly LakeOptions _lake;
    private readonly IngestOptions _options;
    private readonly MeterFrameOptions _frames;
    private readonly Quality.QualityOptions _quality;
    private readonly Dictionary<TableSpec, ColumnBatchPool> _pools = new();

    public Ingestor(LakeOptions lake, IngestOptions options, MeterFrameOptions? frames = null, Quality.QualityOptions? quality = null)
    {
        frames ??= new MeterFrameOptions();
        quality ??= new Quality.QualityOptions();
        var problems = lake.Validate().Concat(options.Validate()).Concat(frames.Validate()).Concat(quality.Validate()).ToList();
        if (options.ReadBufferBytes < 2 * frames.MaxFrameBytes + 64)
            problems.Add($"Ingest:ReadBufferBytes must be at least twice Frames:MaxFrameBytes (is {options.ReadBufferBytes}).");
        if (problems.Count > 0) throw new OperatorException(problems[0]);
        _lake = lake;
        _options = options;
        _frames = frames;
        _quality = quality;
    }

    internal static long NowMicros() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10;

    public LakeOptions Lake => _lake;
    internal IngestOptions Options => _options;
    internal MeterFrameOptions FrameOptions => _frames;

    internal ColumnBatchPool PoolFor(TableSpec table)
    {
        lock (_pools) return PoolForLocked(table);
    }

    private ColumnBatchPool PoolForLocked(TableSpec table)
    {
        if (_pools.TryGetValue(table, out var pool)) return pool;
        using (var probe = new ColumnBatch(table, _options.BatchRows))
        {
            // Both this table's pool and the quarantine's come out of the budget; a batch's size is its buffers. Each
            // decoding thread may hold two batches that no writer can flush (its own and the one it is handing over),
            // so the pool always has room beyond those.
            int batches = (int)Math.Clamp(_options.MemoryBudgetBytes / probe.AllocatedBytes, 2 * _options.DecodeThreads + 4, 4096);
            pool = new ColumnBatchPool(table, _options.BatchRows, batches);
        }
        _pools[table] = pool;
        return pool;
    }

    /// <param name="forcedTable">Decode into this table instead of detecting it.</param>
    /// <param name="progress">Receives the bytes decoded so far.</param>
    public IngestResult IngestFile(string path, TableSpec? forcedTable = null, IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        using var file = OpenInput(path);
        long length = RandomAccess.GetLength(file);
        var headBuffer = RentReadBuffer();
        try
        {
            return IngestFile(path, file, length, headBuffer, forcedTable, progress, clock, cancellationToken);
        }
        finally
        {
            _readBuffers.Add(headBuffer);
        }
    }

    private IngestResult IngestFile(string path, Microsoft.Win32.SafeHandles.SafeFileHandle file, long length, byte[] headBuffer,
        TableSpec? forcedTable, IProgress<long>? progress, Stopwatch clock, CancellationToken cancellationToken)
    {
        var head = headBuffer.AsSpan(0, (int)Math.Min(_options.ReadBufferBytes, Math.Max(length, 1)));
        int filled = ReadFull(file, head, 0);
        var detected = InputDetector.Detect(path, head[..filled], forcedTable);
        if (detected.Table is null)
            return new IngestResult { Path = path, Bytes = length, Format = detected.Format, Skipped = detected.Problem, Elapsed = clock.Elapsed };

        if (detected.IsMeterFrames) return IngestFrames(path, file, length, detected, progress, clock, cancellationToken);
        var table = detected.Table;
        PoolFor(table);
        PoolFor(Tables.Quarantine); // pools are made here, not on the segment threads
        var segments = PlanSegments(file, length, detected.HeaderBytes);
        var tracker = new ProgressTracker(progress);
        long now = NowMicros();
        var journal = JournalFor(path);
        try
        {
            return IngestRecords(path, file, length, head, detected, segments, tracker, now, journal, progress, clock, cancellationToken);
        }
        catch
        {
            journal.Undo(); // not published: its rows are checked afresh when the file comes again
            throw;
        }
        finally
        {
            journal.Release();
        }
    }

    private IngestResult IngestRecords(string path, Microsoft.Win32.SafeHandles.SafeFileHandle file, long length, Span<byte> head,
        DetectedInput detected, List<Segment> segments, ProgressTracker tracker, long now, Quality.SeriesJournal journal,
        IProgress<long>? progress, Stopwatch clock, CancellationToken cancellationToken)
    {
        var table = detected.Table!;
        var results = DecodeSegments(path, file, detected, segments, tracker, now, journal, cancellationToken);
        if (segments.Count > 1 && results.Any(r => r.SawQuote))
        {
            // A quoted CSV field may hold a line break, so a segment boundary may have cut a record: decode again
            // as one segment. Quotes are rare in meter data; correctness first.
            foreach (var r in results) r.Discard();
            journal.Undo();
            segments = [new Segment(detected.HeaderBytes, length, 0, new Lazy<long>(detected.HeaderBytes > 0 ? 1 : 0))];
            results = DecodeSegments(path, file, detected, segments, new ProgressTracker(progress), now, journal, cancellationToken);
        }

        var stats = new DecodeStats { BytesSkipped = detected.HeaderBytes };
        var details = new Dictionary<QuarantineReason, string>();
        var files = new List<WrittenFile>();
        var contentHash = new XxHash3();
        contentHash.Append(head[..detected.HeaderBytes]);
        Span<byte> h = stackalloc byte[8];
        foreach (var r in results)
        {
            stats.Add(r.Stats);
            foreach (var (reason, detail) in r.FirstDetails) details.TryAdd(reason, detail);
            files.AddRange(r.Files);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(h, r.Hash);
            contentHash.Append(h);
        }
        var sourceKey = LakePaths.SourceKey(path, contentHash.GetCurrentHashAsUInt64());
        if (PublishedBefore(sourceKey)) return AlreadyIngested(path, length, detected.Format, journal, files, clock);
        var published = LakePublisher.Publish(_lake, path, sourceKey, length, files);
        RememberPublished(path, sourceKey);
        return new IngestResult
        {
            Path = path,
            Bytes = length,
            Format = detected.Format,
            Table = table,
            Stats = stats,
            ExtraColumns = detected.Layout?.ExtraColumns ?? [],
            FirstQuarantineDetails = details,
            Files = published,
            SourceKey = sourceKey,
            Elapsed = clock.Elapsed,
        };
    }

    private static Microsoft.Win32.SafeHandles.SafeFileHandle OpenInput(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OperatorException($"{path}: cannot be read ({e.Message})");
        }
    }

    private static int ReadFull(Microsoft.Win32.SafeHandles.SafeFileHandle file, Span<byte> buffer, int at, long fileOffset = 0)
    {
        int total = 0;
        while (at + total < buffer.Length)
        {
            int n = RandomAccess.Read(file, buffer[(at + total)..], fileOffset + total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    public void Dispose()
    {
        foreach (var pool in _pools.Values) pool.Dispose();
        _pools.Clear();
    }
}
