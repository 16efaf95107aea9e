using System.Globalization;
using System.IO.Hashing;
using Metrify.Engine.Columnar;
using Metrify.Engine.Lake;

namespace Metrify.Engine.Pipeline;

/// <summary>Where a stream resumes: the position after its last recorded chunk (null: nothing on record, start where
/// the source says), and the recorded chunks whose files are not all in the lake (a crash between the ledger entry and
/// the publish), which must be replayed position for position before anything new is read.</summary>
public sealed record StreamResume(long? Next, IReadOnlyList<ChunkEntry> Replays);

/// <summary>What publishing a chunk did. <see cref="Fenced"/>: another owner recorded a chunk at the same position
/// first, so this one was dropped and the stream is no longer ours. <see cref="Closing"/>: waiting for the encoders to
/// finish the chunk's files; <see cref="Syncing"/>: hashing and flushing them and writing the ledger entry.</summary>
public sealed record ChunkOutcome(bool Fenced, IngestResult? Result, ChunkEntry? Entry, bool ReplayDiffered = false)
{
    public TimeSpan Closing { get; init; }
    public TimeSpan Syncing { get; init; }
}

public sealed partial class Ingestor
{
    /// <summary>Reads the stream's ledger: where to resume and which chunks to replay first.</summary>
    public StreamResume ResumeStream(StreamSource source)
    {
        var entries = new StreamLedger(_lake.Root, source.LedgerKey).Entries();
        if (entries.Count == 0) return new StreamResume(null, []);
        var replays = entries.Where(e => e.Files.Any(f => !File.Exists(Path.Combine(_lake.Root, f.Path)))).ToList();
        return new StreamResume(entries[^1].Last + 1, replays);
    }

    /// <summary>Starts a chunk at <paramref name="first"/>. <paramref name="clockMicros"/> is the instant the quality
    /// checks compare with: now for a new chunk, the recorded one for a replay.</summary>
    public StreamChunk OpenChunk(StreamSource source, long first, long? clockMicros = null)
    {
        PoolFor(source.Table);
        PoolFor(Tables.Quarantine);
        return new StreamChunk(this, source, first, clockMicros ?? NowMicros(), 1);
    }

    /// <summary>
    /// True when a table the source fills has fewer than <paramref name="reserve"/> free batches: the open chunks
    /// hold the memory budget, and the caller should publish one before appending more (one thread feeds every
    /// chunk, so a chunk that waited for a batch another chunk holds would wait for ever).
    /// </summary>
    public bool IsShortOfMemory(StreamSource source, int reserve = 4)
    {
        if (source.Format is InputFormat.Csv or InputFormat.JsonLines)
            return PoolFor(source.Table).Available < reserve || PoolFor(Tables.Quarantine).Available < 2;
        return PoolFor(Tables.Readings).Available < reserve || PoolFor(Tables.Registers).Available < reserve
            || PoolFor(Tables.Gas).Available < 2 || PoolFor(Tables.Quarantine).Available < 2;
    }

    /// <summary>Column memory the ingestor's batches hold right now, across tables (what the budget bounds).</summary>
    public long MemoryInUse()
    {
        lock (_pools) return _pools.Values.Sum(p => (long)(p.MaxBatches - p.Available) * p.BatchBytes);
    }

    /// <summary>
    /// Publishes a chunk: its files are closed, hashed and flushed to disk; its ledger entry is created (create-only:
    /// the commit point); then each file is renamed to its name, derived from the stream and the positions of the
    /// messages it holds. Only after this returns may the caller commit the positions at the source. For a replay
    /// (<paramref name="replaying"/>) the entry exists already and the same names are written again.
    /// </summary>
    public ChunkOutcome PublishChunk(StreamChunk chunk, ChunkEntry? replaying = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (files, stats, frames) = chunk.Complete();
        var closing = clock.Elapsed;
        var ledger = new StreamLedger(_lake.Root, chunk.Source.LedgerKey);
        var finals = new string[files.Count];
        var recorded = new List<ChunkFile>(files.Count);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < files.Count; i++)
        {
            var f = files[i];
            long first = chunk.PositionAt(f.FirstByte), last = chunk.PositionAt(Math.Max(f.FirstByte, f.LastByte - 1));
            var stem = string.Create(CultureInfo.InvariantCulture, $"{chunk.Source.FileStem}+{first:D12}+{last:D12}");
            var dir = Path.GetDirectoryName(f.TempPath)!;
            var name = stem + ".parquet";
            // A message whose rows fill several files of one hour gives them the same range: number the later ones.
            for (int n = 1; !taken.Add(Path.Combine(dir, name)); n++) name = string.Create(CultureInfo.InvariantCulture, $"{stem}~{n}.parquet");
            finals[i] = Path.Combine(dir, name);
            if (_lake.Durable) LakePublisher.FlushToDisk(f.TempPath);
            recorded.Add(new ChunkFile(Path.GetRelativePath(_lake.Root, finals[i]).Replace('\\', '/'), f.Table, f.Rows, f.Bytes, HashFile(f.TempPath)));
        }
        var entry = new ChunkEntry(chunk.Source.Name, chunk.First, chunk.Last, chunk.Messages, chunk.ClockMicros, recorded);
        bool differed = false;
        if (replaying is null)
        {
            if (!ledger.TryCreate(entry, _lake.Durable)) return new ChunkOutcome(true, null, null) { Closing = closing, Syncing = clock.Elapsed - closing };
        }
        else
        {
            differed = !replaying.Files.SequenceEqual(entry.Files);
            if (differed) ledger.Replace(entry, _lake.Durable); // other settings than the first time: record what is there now
        }
        var syncing = clock.Elapsed - closing;
        var published = new List<PublishedFile>(files.Count);
        for (int i = 0; i < files.Count; i++)
        {
            File.Move(files[i].TempPath, finals[i], overwrite: true);
            published.Add(new PublishedFile(files[i].Table, finals[i], files[i].Rows, files[i].Bytes));
        }
        if (differed)
        {
            var now = entry.Files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
            foreach (var old in replaying!.Files.Where(f => !now.Contains(f.Path)))
                File.Delete(Path.Combine(_lake.Root, old.Path));
        }
        LakePublisher.RemoveOrphanedTemporaries(files);
        chunk.Published();
        var result = new IngestResult
        {
            Path = chunk.Source.Name,
            Bytes = chunk.Bytes - chunk.Messages, // the separators between messages are not input
            Format = chunk.Source.Format,
            Table = chunk.Source.Table,
            Stats = stats,
            Frames = frames,
            FirstQuarantineDetails = chunk.Quarantine.FirstDetails,
            Files = published,
            SourceKey = chunk.Source.LedgerKey,
            Elapsed = clock.Elapsed,
        };
        return new ChunkOutcome(false, result, entry, differed) { Closing = closing, Syncing = syncing };
    }

    /// <summary>Forgets the stream's chunks before <paramref name="committed"/> (committed at the source), keeping
    /// the newest; keeps the ledger small however long the stream runs.</summary>
    public int ForgetChunks(StreamSource source, long committed) => new StreamLedger(_lake.Root, source.LedgerKey).Forget(committed);

    private static string HashFile(string path)
    {
        var hash = new XxHash3();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        hash.Append(stream);
        return hash.GetCurrentHashAsUInt64().ToString("x16", CultureInfo.InvariantCulture);
    }
}
