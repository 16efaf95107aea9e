using System.Globalization;
using System.Text.Json;

namespace Metrify.Engine.Lake;

/// <summary>A lake file of a stream chunk, as the ledger records it.</summary>
public sealed record ChunkFile(string Path, string Table, long Rows, long Bytes, string Xxh3);

/// <summary>
/// One chunk of a replayable stream (a Kafka partition): the positions it covers, the clock its checks ran with, and
/// the files that hold its rows. Written before the files are published and before the source positions are
/// committed, so it is the commit point: a chunk in the ledger is in the lake, or is put there again by replaying
/// exactly its positions.
/// </summary>
public sealed record ChunkEntry(string Stream, long First, long Last, long Messages, long ClockMicros, IReadOnlyList<ChunkFile> Files);

/// <summary>
/// The chunks of one stream, one create-only object each, <c>_metrify/ledger/streams/&lt;stream&gt;/&lt;first&gt;.json</c>,
/// named by the chunk's first position. It lives with the lake, not with a process, so whichever daemon owns the
/// stream next (after a crash or a rebalance) resumes from it. Create-only is the fence: two owners that resume from
/// the same ledger both try to create the entry of the same next position, and only one can.
/// </summary>
public sealed class StreamLedger
{
    private readonly string _directory;

    /// <param name="stream">The stream's ledger key, a relative path such as <c>kafka/readings/3</c>.</param>
    public StreamLedger(string root, string stream)
    {
        Root = root;
        _directory = Path.Combine(LakePaths.LedgerDirectory(root), "streams", stream);
    }

    public string Root { get; }

    /// <summary>Every chunk on record, in position order. A torn entry (a crash while writing it, before its
    /// rename) never has its final name, so every entry listed here is whole.</summary>
    public List<ChunkEntry> Entries()
    {
        var entries = new List<ChunkEntry>();
        if (!Directory.Exists(_directory)) return entries;
        foreach (var file in Directory.EnumerateFiles(_directory, "*.json"))
        {
            var entry = JsonSerializer.Deserialize(File.ReadAllBytes(file), LedgerJson.Default.ChunkEntry)
                ?? throw new InvalidDataException($"{file}: empty ledger entry");
            entries.Add(entry);
        }
        entries.Sort((a, b) => a.First.CompareTo(b.First));
        return entries;
    }

    /// <summary>Records a new chunk. Returns false, writing nothing, when an entry for its first position exists:
    /// another owner has taken the stream on from the same point.</summary>
    public bool TryCreate(ChunkEntry entry, bool durable) => Write(entry, durable, overwrite: false);

    /// <summary>Rewrites a chunk's entry after a replay (same positions, files as now written).</summary>
    public void Replace(ChunkEntry entry, bool durable) => Write(entry, durable, overwrite: true);

    private bool Write(ChunkEntry entry, bool durable, bool overwrite)
    {
        Directory.CreateDirectory(_directory);
        var path = PathOf(entry.First);
        var temp = Path.Combine(_directory, $".{entry.First}-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
        using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            JsonSerializer.Serialize(stream, entry, LedgerJson.Default.ChunkEntry);
            if (durable) stream.Flush(flushToDisk: true);
        }
        try
        {
            // Without overwrite, .NET links the new name and fails if it exists: atomic create-only, the same
            // contract as a conditional put (If-None-Match: *) on an object store.
            File.Move(temp, path, overwrite);
            return true;
        }
        catch (IOException) when (!overwrite && File.Exists(path))
        {
            File.Delete(temp);
            return false;
        }
    }

    /// <summary>Forgets chunks before <paramref name="before"/> (their positions are committed at the source and their
    /// files verified), always keeping the newest entry: it is where the stream resumes and what fences it.</summary>
    public int Forget(long before)
    {
        var entries = Entries();
        int removed = 0;
        for (int i = 0; i < entries.Count - 1; i++)
        {
            if (entries[i].Last >= before) break;
            File.Delete(PathOf(entries[i].First));
            removed++;
        }
        return removed;
    }

    private string PathOf(long first) => Path.Combine(_directory, first.ToString("D19", CultureInfo.InvariantCulture) + ".json");
}
