using System.Buffers;
using System.Diagnostics;
using System.IO.Hashing;
using Metrify.Engine.Columnar;
using Metrify.Engine.Frames;
using Metrify.Engine.Frames.Csv;
using Metrify.Engine.Frames.Json;
using Metrify.Engine.Lake;

namespace Metrify.Engine.Pipeline;

/// <summary>
/// Ingests files into the lake: streams each through one reused buffer, decodes it on the calling thread,
/// encodes Parquet on background threads, then publishes the files and the ledger entry. Column memory is pooled
/// per table for the life of the ingestor, so a run of many files touches fresh memory once.
/// </summary>
public sealed class Ingestor : IDisposable
{
    private readonly LakeOptions _lake;
    private readonly IngestOptions _options;
    private readonly Dictionary<TableSpec, ColumnBatchPool> _pools = new();
    private readonly byte[] _buffer;

    public Ingestor(LakeOptions lake, IngestOptions options)
    {
        var problems = lake.Validate().Concat(options.Validate()).ToList();
        if (problems.Count > 0) throw new OperatorException(problems[0]);
        _lake = lake;
        _options = options;
        _buffer = ArrayPool<byte>.Shared.Rent(options.ReadBufferBytes);
    }

    public LakeOptions Lake => _lake;

    private ColumnBatchPool PoolFor(TableSpec table)
    {
        if (_pools.TryGetValue(table, out var pool)) return pool;
        using (var probe = new ColumnBatch(table, _options.BatchRows))
        {
            // Both this table's pool and the quarantine's come out of the budget; a batch's size is its buffers.
            int batches = (int)Math.Clamp(_options.MemoryBudgetBytes / probe.AllocatedBytes, 4, 4096);
            pool = new ColumnBatchPool(table, _options.BatchRows, batches);
        }
        _pools[table] = pool;
        return pool;
    }

    /// <param name="forcedTable">Decode into this table instead of detecting it.</param>
    /// <param name="progress">Receives the bytes read so far.</param>
    public IngestResult IngestFile(string path, TableSpec? forcedTable = null, IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        using var file = OpenInput(path);
        long length = RandomAccess.GetLength(file);
        var buffer = _buffer.AsSpan(0, _options.ReadBufferBytes);
        int filled = ReadFull(file, buffer, 0);
        var hash = new XxHash3();
        hash.Append(buffer[..filled]);
        var detected = InputDetector.Detect(path, buffer[..filled], forcedTable);
        if (detected.Table is null)
            return new IngestResult { Path = path, Bytes = length, Format = detected.Format, Skipped = detected.Problem, Elapsed = clock.Elapsed };

        var table = detected.Table;
        var tempPrefix = $"tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        using var writer = new PartitionedWriter(table, PoolFor(table), _lake, tempPrefix, _options.EncoderThreads, _options.MaxOpenFiles);
        using var quarantineWriter = new PartitionedWriter(Tables.Quarantine, PoolFor(Tables.Quarantine), _lake, tempPrefix + "-q", 1, 16);
        var quarantine = new QuarantineCollector(path, PoolFor(Tables.Quarantine), quarantineWriter);
        RecordDecoder decoder = detected.Format == InputFormat.Csv
            ? new CsvDecoder(detected.Layout!, PoolFor(table), writer, quarantine, 2, _options.MaxRecordBytes)
            : new JsonLinesDecoder(table, PoolFor(table), writer, quarantine, _options.MaxRecordBytes);

        long offset = detected.HeaderBytes;  // source offset of buffer[start]
        int start = detected.HeaderBytes;
        long read = filled;
        decoder.Stats.BytesSkipped += detected.HeaderBytes;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool final = read >= length;
            int used = decoder.Decode(buffer[start..filled], offset, final);
            start += used;
            offset += used;
            progress?.Report(offset);
            if (final) break;
            // Keep the incomplete record, move it to the front, fill the rest.
            int keep = filled - start;
            buffer[start..filled].CopyTo(buffer);
            int got = ReadFull(file, buffer, keep, read);
            hash.Append(buffer.Slice(keep, got));
            read += got;
            filled = keep + got;
            start = 0;
            if (got == 0) { read = length; }
        }
        decoder.Complete();
        var files = writer.Complete();
        files.AddRange(quarantineWriter.Complete());
        var sourceKey = LakePaths.SourceKey(path, hash.GetCurrentHashAsUInt64());
        var published = LakePublisher.Publish(_lake, path, sourceKey, length, files);
        return new IngestResult
        {
            Path = path,
            Bytes = length,
            Format = detected.Format,
            Table = table,
            Stats = decoder.Stats,
            ExtraColumns = detected.Layout?.ExtraColumns ?? [],
            FirstQuarantineDetails = quarantine.FirstDetails,
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
        ArrayPool<byte>.Shared.Return(_buffer);
    }
}
