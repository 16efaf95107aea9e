namespace Metrify.Engine.Lake;

/// <summary>A Parquet file in its final place in the lake.</summary>
public sealed record PublishedFile(string Table, string Path, long Rows, long Bytes);

/// <summary>
/// Publishes one source's finished files: each is flushed to disk, the ledger entry naming them is written, then
/// each is renamed from its temporary name to its deterministic name (atomic on one file system; on object stores
/// the same protocol is a create-only put). Files that an earlier ingest of the same source wrote and this one did
/// not are deleted last, so a reader never sees a source's rows twice, and a crash at any step is repaired by
/// ingesting the source again.
/// </summary>
public static class LakePublisher
{
    public static List<PublishedFile> Publish(LakeOptions options, string sourcePath, string sourceKey, long sourceBytes,
        IReadOnlyList<WrittenFile> files)
    {
        var ledger = new LakeLedger(options.Root);
        var published = new List<PublishedFile>(files.Count);
        var finalPaths = new List<string>(files.Count);
        foreach (var f in files)
        {
            var dir = System.IO.Path.GetDirectoryName(f.TempPath)!;
            finalPaths.Add(System.IO.Path.Combine(dir, LakePaths.FileName(sourceKey, f.FirstByte, f.LastByte)));
        }
        var fullSource = System.IO.Path.GetFullPath(sourcePath);
        var previous = ledger.Entries().Where(e => e.SourceKey == sourceKey || e.Source == fullSource).ToList();
        var current = finalPaths.Select(ledger.Relative).ToHashSet(StringComparer.Ordinal);
        var superseded = previous.SelectMany(e => e.Files.Concat(e.Superseded)).Where(p => !current.Contains(p))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

        if (options.Durable)
            foreach (var f in files) FlushToDisk(f.TempPath);
        var sortedCurrent = current.Order(StringComparer.Ordinal).ToList();
        ledger.Write(new LedgerEntry(fullSource, sourceKey, sourceBytes, sortedCurrent, superseded), options.Durable);
        for (int i = 0; i < files.Count; i++)
        {
            File.Move(files[i].TempPath, finalPaths[i], overwrite: true);
            published.Add(new PublishedFile(files[i].Table, finalPaths[i], files[i].Rows, files[i].Bytes));
        }
        foreach (var stale in superseded)
        {
            var path = ledger.Absolute(stale);
            if (File.Exists(path)) File.Delete(path);
        }
        foreach (var e in previous)
            if (e.SourceKey != sourceKey) ledger.Remove(e.SourceKey);
        RemoveOrphanedTemporaries(files);
        if (superseded.Count > 0)
            ledger.Write(new LedgerEntry(fullSource, sourceKey, sourceBytes, sortedCurrent, []), options.Durable);
        return published;
    }

    /// <summary>
    /// Temporary files of an ingest that crashed (its process is gone) are deleted from the partitions this publish
    /// touched: they never became part of the lake, and a replay has written their rows again.
    /// </summary>
    internal static void RemoveOrphanedTemporaries(IReadOnlyList<WrittenFile> files)
    {
        foreach (var dir in files.Select(f => System.IO.Path.GetDirectoryName(f.TempPath)!).Distinct())
        {
            foreach (var temp in Directory.EnumerateFiles(dir, ".tmp-*.tmp"))
            {
                var name = System.IO.Path.GetFileName(temp).AsSpan(".tmp-".Length);
                int dash = name.IndexOf('-');
                if (dash <= 0 || !int.TryParse(name[..dash], out int pid) || pid == Environment.ProcessId || IsRunning(pid)) continue;
                try { File.Delete(temp); }
                catch (IOException) { } // another cleaner got there first
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    internal static void FlushToDisk(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 1);
        stream.Flush(flushToDisk: true);
    }
}
