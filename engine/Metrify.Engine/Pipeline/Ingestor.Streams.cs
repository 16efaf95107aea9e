using System.Buffers;
using System.IO.Hashing;
using System.IO.Pipelines;
using Metrify.Engine.Columnar;
using Metrify.Engine.Frames;
using Metrify.Engine.Frames.Meter;
using Metrify.Engine.Lake;

namespace Metrify.Engine.Pipeline;

public sealed partial class Ingestor
{
    /// <summary>
    /// Reads meter frames from a live stream (a P1 bridge over TCP) through its <see cref="PipeReader"/> until the
    /// stream ends or <paramref name="stop"/> is signalled, and publishes what it decoded every
    /// <paramref name="rollAfter"/> as a chunk of its own (a source key per connection and chunk), so data lands while
    /// the connection stays open. A frame that has not fully arrived at a roll waits in the pipe for the next chunk.
    /// A live stream cannot be replayed: what is in flight when the process dies is lost (at most once), unlike
    /// files and Kafka.
    /// </summary>
    /// <param name="source">A name for the stream, e.g. <c>p1-tcp-meterbridge-8088</c>.</param>
    /// <param name="published">Told about each chunk once its files are durable.</param>
    public async Task IngestStreamAsync(string source, PipeReader pipe, MeterFrameFormat format, TimeSpan rollAfter,
        Action<IngestResult>? published, CancellationToken stop)
    {
        var opened = DateTime.UtcNow;
        long offset = 0;
        for (int chunk = 0; ; chunk++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var path = $"/streams/{source}/{opened:yyyyMMdd'T'HHmmss'Z'}-{chunk:D6}";
            bool ended = false;
            long now = NowMicros();
            using var sinks = new FrameSinks(this, source, now, now);
            var reader = new MeterFrameReader(format, _frames, sinks.Output, offset);
            var hash = new XxHash3();
            using (new Timer(_ => pipe.CancelPendingRead(), null, rollAfter, Timeout.InfiniteTimeSpan))
            {
                while (true)
                {
                    ReadResult result;
                    try
                    {
                        result = await pipe.ReadAsync(stop).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        ended = true; // stopping: publish what was decoded
                        break;
                    }
                    var buffer = result.Buffer;
                    long consumed = reader.Process(buffer, result.IsCompleted);
                    foreach (var segment in buffer.Slice(0, consumed)) hash.Append(segment.Span);
                    pipe.AdvanceTo(buffer.GetPosition(consumed), buffer.End);
                    if (result.IsCompleted) { ended = true; break; }
                    if (result.IsCanceled) break; // time to roll
                }
            }
            reader.Complete();
            var files = sinks.Complete();
            long length = reader.Offset - offset;
            offset = reader.Offset;
            if (files.Count > 0)
            {
                var s = reader.Stats;
                var key = LakePaths.SourceKey(path, hash.GetCurrentHashAsUInt64());
                var done = LakePublisher.Publish(_lake, path, key, length, files);
                sinks.Published();
                published?.Invoke(new IngestResult
                {
                    Path = path, Bytes = length, Format = format switch { MeterFrameFormat.Sml => InputFormat.Sml, MeterFrameFormat.EncryptedP1 => InputFormat.EncryptedP1, _ => InputFormat.P1 }, Table = Tables.Readings, Stats = WithChecks(ToDecodeStats(s), sinks.ReadingChecks), Frames = s,
                    FirstQuarantineDetails = sinks.Quarantine.FirstDetails, Files = done, SourceKey = key, Elapsed = clock.Elapsed,
                });
            }
            if (ended) return;
        }
    }
}
