using System.Buffers;
using System.IO.Hashing;
using Metrify.Engine.Columnar;
using Metrify.Engine.Frames;
using Metrify.Engine.Frames.Csv;
using Metrify.Engine.Frames.Json;
using Metrify.Engine.Lake;
using Microsoft.Win32.SafeHandles;

namespace Metrify.Engine.Pipeline;

public sealed partial class Ingestor
{
    /// <summary>
    /// A byte range of the input that starts at a line boundary. <see cref="LinesBefore"/> counts the line breaks
    /// before it; it is computed only when the segment quarantines a record (a clean input never pays for it).
    /// </summary>
    private sealed record Segment(long Start, long End, int Index, Lazy<long> LinesBefore);

    /// <summary>What decoding one segment produced (files still under temporary names).</summary>
    private sealed class SegmentResult(DecodeStats stats, List<WrittenFile> files, Dictionary<QuarantineReason, string> firstDetails,
        ulong hash, bool sawQuote)
    {
        public DecodeStats Stats { get; } = stats;
        public List<WrittenFile> Files { get; } = files;
        public Dictionary<QuarantineReason, string> FirstDetails { get; } = firstDetails;
        public ulong Hash { get; } = hash;
        public bool SawQuote { get; } = sawQuote;

        public void Discard()
        {
            foreach (var f in Files) File.Delete(f.TempPath);
        }
    }

    /// <summary>Bytes decoded so far across segments, reported as one number.</summary>
    private sealed class ProgressTracker(IProgress<long>? progress)
    {
        private long _done;
        public void Add(long bytes) => progress?.Report(Interlocked.Add(ref _done, bytes));
    }

    /// <summary>
    /// Segments of <see cref="IngestOptions.SegmentBytes"/>, each ending just after a line break, so that threads
    /// can decode them independently; the layout depends only on the input and that setting, never on the thread
    /// count, so file names and bytes are the same on any machine. Decoders count lines within their segment; the
    /// quarantine adds the lines before it.
    /// </summary>
    private List<Segment> PlanSegments(SafeFileHandle file, long length, long bodyStart)
    {
        var bounds = new List<long> { bodyStart };
        var window = ArrayPool<byte>.Shared.Rent(64 << 10);
        try
        {
            for (long target = bodyStart + _options.SegmentBytes; target < length - _options.SegmentBytes / 4; target += _options.SegmentBytes)
            {
                long at = target, boundary = -1;
                while (boundary < 0 && at < length && at - target < 2L * _options.MaxRecordBytes)
                {
                    int n = RandomAccess.Read(file, window, at);
                    if (n == 0) break;
                    int nl = window.AsSpan(0, n).IndexOf((byte)'\n');
                    if (nl >= 0) boundary = at + nl + 1;
                    at += n;
                }
                if (boundary > bounds[^1] && boundary < length) bounds.Add(boundary);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(window);
        }
        bounds.Add(length);
        var segments = new List<Segment>(bounds.Count - 1);
        long headerLines = bodyStart > 0 ? 1 : 0; // a CSV header is line 1
        for (int i = 0; i < bounds.Count - 1; i++)
        {
            var previous = i == 0 ? null : segments[i - 1];
            var linesBefore = previous is null
                ? new Lazy<long>(headerLines)
                : new Lazy<long>(() => previous.LinesBefore.Value + CountLines(file, previous.Start, previous.End));
            segments.Add(new Segment(bounds[i], bounds[i + 1], i, linesBefore));
        }
        return segments;
    }

    /// <summary>Line breaks in a byte range (cold: only for segments that quarantine something). A small shared
    /// buffer, not a read buffer: the segment asking holds one already, and a third would be made anew.</summary>
    private static long CountLines(SafeFileHandle file, long start, long end)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(256 << 10);
        long count = 0;
        try
        {
            for (long at = start; at < end;)
            {
                int n = RandomAccess.Read(file, buffer.AsSpan(0, (int)Math.Min(buffer.Length, end - at)), at);
                if (n == 0) break;
                count += buffer.AsSpan(0, n).Count((byte)'\n');
                at += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return count;
    }

    private List<SegmentResult> DecodeSegments(string path, SafeFileHandle file, DetectedInput detected, List<Segment> segments,
        ProgressTracker progress, long nowMicros, Quality.SeriesJournal journal, CancellationToken cancellationToken)
    {
        if (segments.Count == 1) return [DecodeSegment(path, file, detected, segments[0], progress, nowMicros, null, journal, cancellationToken, last: true)];
        var results = new SegmentResult[segments.Count];
        // A waiting segment holds batches that no writer can flush: together they may hold half the pool, the
        // segment whose turn it is keeps the other half for its decoder, writer and encoders.
        int threads = _options.DecodeThreads;
        var order = new SegmentOrder(_pools[detected.Table!].MaxBatches / (2 * threads), cancellationToken);
        Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(segments, System.Collections.Concurrent.EnumerablePartitionerOptions.NoBuffering),
            new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancellationToken },
            segment => results[segment.Index] = DecodeSegment(path, file, detected, segment, progress, nowMicros, order, journal, cancellationToken,
                last: segment.Index == segments.Count - 1));
        return results.ToList();
    }

    /// <summary>Streams one segment through a reused buffer into its decoder, its own partitioned writers and
    /// quarantine, hashing its bytes on the way.</summary>
    private SegmentResult DecodeSegment(string path, SafeFileHandle file, DetectedInput detected, Segment segment,
        ProgressTracker progress, long nowMicros, SegmentOrder? order, Quality.SeriesJournal journal,
        CancellationToken cancellationToken, bool last)
    {
        var table = detected.Table!;
        var pool = _pools[table];
        var quarantinePool = _pools[Tables.Quarantine];
        var tempPrefix = $"tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        int encoders = Math.Max(1, _options.EncoderThreads / Math.Min(_options.DecodeThreads, 2));
        using var writer = new PartitionedWriter(table, pool, _lake, tempPrefix, encoders, _options.MaxOpenFiles);
        using var quarantineWriter = new PartitionedWriter(Tables.Quarantine, quarantinePool, _lake, tempPrefix + "-q", 1, 16);
        var quarantine = new QuarantineCollector(path, quarantinePool, quarantineWriter, segment.LinesBefore);
        using var aggregates = NewAggregateOutput(tempPrefix);
        var sink = Checked(table, writer, nowMicros, order, segment.Index, journal, aggregates);
        RecordDecoder decoder = detected.Format == InputFormat.Csv
            ? new CsvDecoder(detected.Layout!, pool, sink, quarantine, 1, _options.MaxRecordBytes)
            : new JsonLinesDecoder(table, pool, sink, quarantine, _options.MaxRecordBytes);

        var rented = RentReadBuffer();
        var buffer = rented.AsSpan(0, _options.ReadBufferBytes);
        var hash = new XxHash3();
        try
        {
            long next = segment.Start;   // next byte to read
            long offset = segment.Start; // source offset of buffer[0]
            int filled = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int got = ReadFull(file, buffer[filled..(int)Math.Min(buffer.Length, filled + segment.End - next)], 0, next);
                hash.Append(buffer.Slice(filled, got));
                next += got;
                filled += got;
                bool final = next >= segment.End || got == 0;
                int used = decoder.Decode(buffer[..filled], offset, final);
                progress.Add(used);
                offset += used;
                if (final) break;
                buffer[used..filled].CopyTo(buffer);
                filled -= used;
            }
            decoder.Complete();
            sink.Complete();
            if (last) FlushOpenIntervals(journal, aggregates, Math.Max(0, offset - 1)); // after every segment's rows, in the last one's files
            // Every writer finishes its files (their last row groups) on its own threads at once; then they are collected.
            writer.BeginComplete();
            quarantineWriter.BeginComplete();
            aggregates.BeginComplete();
            var files = writer.Complete();
            files.AddRange(quarantineWriter.Complete());
            files.AddRange(aggregates.Complete());
            return new SegmentResult(WithChecks(decoder.Stats, sink), files, quarantine.FirstDetails, hash.GetCurrentHashAsUInt64(),
                decoder is CsvDecoder csv && csv.SawQuote);
        }
        catch
        {
            sink.Abandon();
            throw;
        }
        finally
        {
            _readBuffers.Add(rented);
        }
    }

    /// <summary>Read buffers live as long as the ingestor: segments run on pool threads, where the shared array
    /// pool's per-thread caches would hand out (and first-touch) fresh megabytes now and then.</summary>
    private readonly System.Collections.Concurrent.ConcurrentBag<byte[]> _readBuffers = new();

    private byte[] RentReadBuffer() => _readBuffers.TryTake(out var b) ? b : GC.AllocateUninitializedArray<byte>(_options.ReadBufferBytes);
}
