using System.Text.Json;
using System.Text.Json.Serialization;

namespace Metrify.Engine.Lake;

/// <summary>One ledger entry: which lake files hold the rows of one source.</summary>
public sealed record LedgerEntry(
    string Source,
    string SourceKey,
    long SourceBytes,
    IReadOnlyList<string> Files,
    IReadOnlyList<string> Superseded);

/// <summary>
/// The lake's record of what each source produced, in <c>_metrify/ledger/&lt;source key&gt;.json</c> beside the tables.
/// It makes re-ingestion idempotent: ingesting a source again (same content, or the same path with new content)
/// replaces the files an earlier ingest of it wrote instead of adding to them.
/// </summary>
public sealed class LakeLedger
{
    private readonly string _root;
    private readonly string _directory;

    public LakeLedger(string root)
    {
        _root = root;
        _directory = LakePaths.LedgerDirectory(root);
    }

    public IEnumerable<LedgerEntry> Entries()
    {
        if (!Directory.Exists(_directory)) yield break;
        foreach (var file in Directory.EnumerateFiles(_directory, "*.json"))
        {
            LedgerEntry? entry;
            try { entry = JsonSerializer.Deserialize(File.ReadAllBytes(file), LedgerJson.Default.LedgerEntry); }
            catch (JsonException) { continue; } // a torn entry from a crash: its files are found again by name
            if (entry is not null) yield return entry;
        }
    }

    public void Write(LedgerEntry entry, bool durable)
    {
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, entry.SourceKey + ".json");
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(stream, entry, LedgerJson.Default.LedgerEntry);
            if (durable) stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    public void Remove(string sourceKey) => File.Delete(Path.Combine(_directory, sourceKey + ".json"));

    /// <summary>Lake-relative path with forward slashes, as the ledger stores it.</summary>
    public string Relative(string path) => Path.GetRelativePath(_root, path).Replace('\\', '/');

    public string Absolute(string relative) => Path.Combine(_root, relative);
}
