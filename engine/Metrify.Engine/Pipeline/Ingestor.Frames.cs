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
        var tables = new[] { Tables.Readings, Tables.Registers, Tables.Gas };
        foreach (var t in tables) PoolFor(t);
        PoolFor(Tables.Quarantine);
        var tempPrefix = $"tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        var writers = tables.Select(t => new PartitionedWriter(t, _pools[t], _lake, tempPrefix, 1, _options.MaxOpenFiles)).ToList();
        using var quarantineWriter = new PartitionedWriter(Tables.Quarantine, _pools[Tables.Quarantine], _lake, tempPrefix + "-q", 1, 16);
        try
        {
            var quarantine = new QuarantineCollector(path, _pools[Tables.Quarantine], quarantineWriter);
            // Frames without a usable clock take the capture's modification time until a good frame is seen.
            long receivedAt = new DateTimeOffset(File.GetLastWriteTimeUtc(path)).ToUnixTimeSeconds() * 1_000_000;
            long now = NowMicros();
            var output = new MeterFrameOutput(new TableAppender(_pools[Tables.Readings], Checked(Tables.Readings, writers[0], now)),
                new TableAppender(_pools[Tables.Registers], Checked(Tables.Registers, writers[1], now)),
                new TableAppender(_pools[Tables.Gas], Checked(Tables.Gas, writers[2], now)), quarantine, receivedAt);
            var reader = new MeterFrameReader(format, _frames, output);
            var hash = new XxHash3();
            var buffer = RentReadBuffer();
            try
            {
                using var raw = new HashingStream(new FileStream(file, FileAccess.Read, 0), hash, progress);
                using Stream bytes = detected.HexText ? new HexTextStream(raw) : raw;
                // A synchronous loop over one reused buffer, like the text decoders: a file needs no pipe, and blocking
                // on async reads here would tie up thread-pool threads. Streams (TCP, Kafka) use MeterFrameReader.ReadAsync.
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
            var files = new List<WrittenFile>();
            foreach (var w in writers) files.AddRange(w.Complete());
            files.AddRange(quarantineWriter.Complete());

            var s = reader.Stats;
            var stats = new DecodeStats
            {
                Rows = s.ReadingRows,
                Quarantined = s.FramesQuarantined,
                BytesAccepted = s.BytesAccepted,
                BytesQuarantined = s.BytesQuarantined,
                BytesSkipped = s.BytesSkipped,
            };
            s.PerReason.CopyTo(stats.PerReason, 0);
            var sourceKey = LakePaths.SourceKey(path, hash.GetCurrentHashAsUInt64());
            var published = LakePublisher.Publish(_lake, path, sourceKey, length, files);
            return new IngestResult
            {
                Path = path,
                Bytes = length,
                Format = detected.Format,
                Table = Tables.Readings,
                Stats = stats,
                Frames = s,
                FirstQuarantineDetails = quarantine.FirstDetails,
                Files = published,
                SourceKey = sourceKey,
                Elapsed = clock.Elapsed,
            };
        }
        finally
        {
            foreach (var w in writers) w.Dispose();
        }
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
    private sealed class HashingStream(Stream inner, XxHash3 hash, IProgress<long>? progress) : Stream
    {
        private long _read;

        public override int Read(Span<byte> buffer)
        {
            int n = inner.Read(buffer);
            hash.Append(buffer[..n]);
            _read += n;
            progress?.Report(_read);
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            hash.Append(buffer.Span[..n]);
            _read += n;
            progress?.Report(_read);
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
