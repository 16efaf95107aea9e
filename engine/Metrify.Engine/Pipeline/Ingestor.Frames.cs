using System.IO.Hashing;
using Metrify.Engine.Columnar;
using Metrify.Engine.Frames;
using Metrify.Engine.Frames.Meter;
using Metrify.Engine.Lake;
using Microsoft.Win32.SafeHandles;

namespace Metrify.Engine.Pipeline;

public sealed partial class Ingestor
{
    /// <summary>
    /// Meter frame captures (P1, SML, encrypted P1; raw or hex dumps) stream through one reused buffer into one
    /// <see cref="MeterFrameReader"/>, which fills readings, registers and gas at once. Frames are small and decode at
    /// hundreds of MB/s on one core, so a capture is not split into segments.
    /// </summary>
    private IngestResult IngestFrames(string path, SafeFileHandle file, long length, DetectedInput detected, IProgress<long>? progress,
        System.Diagnostics.Stopwatch clock, CancellationToken cancellationToken)
    {
        var format = detected.Format switch
        {
            InputFormat.P1 => MeterFrameFormat.P1,
            InputFormat.Sml => MeterFrameFormat.Sml,
            _ => MeterFrameFormat.EncryptedP1,
        };
        // Frames without a usable clock take the capture's modification time until a good frame is seen.
        long receivedAt = new DateTimeOffset(File.GetLastWriteTimeUtc(path)).ToUnixTimeSeconds() * 1_000_000;
        using var sinks = new FrameSinks(this, path, receivedAt, NowMicros(), journal: JournalFor(path));
        var reader = new MeterFrameReader(format, _frames, sinks.Output);
        var hash = new XxHash3();
        var buffer = RentReadBuffer();
        try
        {
            using var raw = new HashingStream(new FileStream(file, FileAccess.Read, 0), hash, progress);
            using Stream bytes = detected.HexText ? new HexTextStream(raw) : raw;
            // A synchronous loop over one reused buffer, like the text decoders: a file needs no pipe, and blocking
            // on async reads here would tie up thread-pool threads. Live streams (TCP) go through IngestStreamAsync.
            int filled = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int got = ReadSome(bytes, buffer.AsSpan(filled));
                filled += got;
                bool final = got == 0;
                int used = reader.Process(buffer.AsSpan(0, filled), final);
                if (final) break;
                buffer.AsSpan(used, filled - used).CopyTo(buffer);
                filled -= used;
            }
        }
        finally
        {
            _readBuffers.Add(buffer);
        }
        reader.Complete();
        FlushOpenIntervals(sinks.Journal, sinks.Aggregates, Math.Max(0, length - 1));
        var files = sinks.Complete();
        var s = reader.Stats;
        var sourceKey = LakePaths.SourceKey(path, hash.GetCurrentHashAsUInt64());
        if (PublishedBefore(sourceKey)) return AlreadyIngested(path, length, detected.Format, sinks.Journal, files, clock);
        var published = LakePublisher.Publish(_lake, path, sourceKey, length, files);
        sinks.Published();
        RememberPublished(path, sourceKey);
        return new IngestResult
        {
            Path = path,
            Bytes = length,
            Format = detected.Format,
            Table = Tables.Readings,
            Stats = WithChecks(ToDecodeStats(s), sinks.ReadingChecks),
            Frames = s,
            FirstQuarantineDetails = sinks.Quarantine.FirstDetails,
            Files = published,
            SourceKey = sourceKey,
            Elapsed = clock.Elapsed,
        };
    }

    /// <summary>
    /// Where one meter frame source's rows go: readings, registers and gas, each behind its quality checks and its
    /// own partitioned writer, and the quarantine. Files stay under temporary names until published.
    /// </summary>
    internal sealed class FrameSinks : IDisposable
    {
        private static readonly TableSpec[] FrameTables = [Tables.Readings, Tables.Registers, Tables.Gas];
        private readonly List<PartitionedWriter> _writers;
        private readonly PartitionedWriter _quarantineWriter;

        /// <param name="receivedAt">The instant of frames without a usable clock until a good frame is seen.</param>
        /// <param name="checkedAt">The clock the quality checks compare against (future timestamps).</param>
        public FrameSinks(Ingestor ingestor, string source, long receivedAt, long checkedAt, Func<long, (long, long)>? locate = null,
            Quality.SeriesJournal? journal = null)
        {
            Journal = journal ?? new Quality.SeriesJournal();
            foreach (var t in FrameTables) ingestor.PoolFor(t);
            var quarantinePool = ingestor.PoolFor(Tables.Quarantine);
            var tempPrefix = $"tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
            _writers = FrameTables.Select(t => new PartitionedWriter(t, ingestor._pools[t], ingestor._lake, tempPrefix, 1, ingestor._options.MaxOpenFiles)).ToList();
            _quarantineWriter = new PartitionedWriter(Tables.Quarantine, quarantinePool, ingestor._lake, tempPrefix + "-q", 1, 16);
            Quarantine = new QuarantineCollector(source, quarantinePool, _quarantineWriter, locate: locate);
            _aggregates = ingestor.NewAggregateOutput(tempPrefix);
            _checked = FrameTables.Select((t, i) => ingestor.Checked(t, _writers[i], checkedAt, journal: Journal, aggregates: _aggregates)).ToList();
            TableAppender Appender(int i) => new(ingestor._pools[FrameTables[i]], _checked[i]);
            Output = new MeterFrameOutput(Appender(0), Appender(1), Appender(2), Quarantine, receivedAt);
        }

        private readonly List<Quality.CheckingSink> _checked;
        private readonly Quality.AggregateOutput _aggregates;

        /// <summary>Where the readings' aggregate rows go.</summary>
        public Quality.AggregateOutput Aggregates => _aggregates;
        private bool _published;

        /// <summary>What the series checks changed; undone on dispose unless <see cref="Published"/> was called.</summary>
        public Quality.SeriesJournal Journal { get; }

        /// <summary>The files are in the lake: the series checks' changes stand.</summary>
        public void Published() => _published = true;

        /// <summary>The checks of the readings (what they dropped and scored).</summary>
        public Quality.CheckingSink ReadingChecks => _checked[0];

        public MeterFrameOutput Output { get; }
        public QuarantineCollector Quarantine { get; }

        /// <summary>Encodes what is pending and returns every file, still under temporary names. After the reader's Complete.</summary>
        public List<WrittenFile> Complete()
        {
            // Every writer finishes its files on its own threads at once; then they are collected.
            foreach (var w in _writers) w.BeginComplete();
            _quarantineWriter.BeginComplete();
            _aggregates.BeginComplete();
            var files = new List<WrittenFile>();
            foreach (var w in _writers) files.AddRange(w.Complete());
            files.AddRange(_quarantineWriter.Complete());
            files.AddRange(_aggregates.Complete());
            return files;
        }

        public void Dispose()
        {
            if (!_published) Journal.Undo();
            _aggregates.Dispose();
            foreach (var w in _writers) w.Dispose();
            _quarantineWriter.Dispose();
        }
    }

    internal static DecodeStats ToDecodeStats(FrameStats s)
    {
        var stats = new DecodeStats
        {
            Rows = s.ReadingRows,
            Quarantined = s.FramesQuarantined,
            BytesAccepted = s.BytesAccepted,
            BytesQuarantined = s.BytesQuarantined,
            BytesSkipped = s.BytesSkipped,
        };
        s.PerReason.CopyTo(stats.PerReason, 0);
        return stats;
    }

    /// <summary>Reads until the span is full or the stream ends.</summary>
    private static int ReadSome(Stream stream, Span<byte> into)
    {
        int total = 0;
        while (total < into.Length)
        {
            int n = stream.Read(into[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    /// <summary>Hashes (for the ledger's content key) and reports the bytes read through it.</summary>
    private sealed class HashingStream(Stream inner, XxHash3 hash, IProgress<long>? progress) : ReadOnlyWrapperStream(inner)
    {
        private long _read;

        public override int Read(Span<byte> buffer)
        {
            int n = Inner.Read(buffer);
            hash.Append(buffer[..n]);
            _read += n;
            progress?.Report(_read);
            return n;
        }
    }
}
