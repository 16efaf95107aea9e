namespace Metrify.Engine.Pipeline;

/// <summary>What happened to one inbox file.</summary>
/// <param name="MovedTo">Where the file went: <c>done/</c> after its data was published, <c>failed/</c> with a
/// <c>.reason.txt</c> next to it when its content cannot be ingested, or null when it stays for another try
/// (the lake or the file system failed: a disk that is full now may not be in a minute).</param>
public sealed record InboxOutcome(string File, string? MovedTo, IngestResult? Result, string? Failure)
{
    public bool WillRetry => MovedTo is null;
}

/// <summary>
/// The inbox source: files dropped into a folder are ingested once they are complete, then moved to <c>done/</c>,
/// only after their data is durable in the lake (the publisher fsyncs and renames first). A crash between the
/// publish and the move leaves the file in the inbox; the next scan ingests it again, which the lake's ledger turns
/// into a no-op, and then moves it. Files that cannot be ingested go to <c>failed/</c> with the reason beside them.
/// Writers should drop files atomically (write elsewhere or as <c>.tmp</c>, then rename); a file still growing is
/// left until its size and modification time hold still for one scan. Dot-files and <c>.tmp</c>/<c>.part</c> files
/// are never taken.
/// </summary>
public sealed class InboxProcessor
{
    private readonly Ingestor _ingestor;
    private readonly string _inbox, _done, _failed;
    private Dictionary<string, (long Length, DateTime Modified)> _previous = new();

    public InboxProcessor(Ingestor ingestor, InboxOptions options)
    {
        _ingestor = ingestor;
        _inbox = System.IO.Path.GetFullPath(options.Path);
        _done = System.IO.Path.Combine(_inbox, "done");
        _failed = System.IO.Path.Combine(_inbox, "failed");
        try
        {
            Directory.CreateDirectory(_done);
            Directory.CreateDirectory(_failed);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OperatorException($"Inbox:Path: {_inbox} cannot be used ({e.Message})");
        }
    }

    public string Inbox => _inbox;

    /// <summary>The ingestor the inbox feeds (its series state spans every file).</summary>
    public Ingestor Ingestor => _ingestor;

    /// <summary>Files in the inbox at the last scan (taken or still settling).</summary>
    public int Pending { get; private set; }

    /// <summary>One scan: ingests every file that held still since the last scan, oldest first. Stops between files
    /// when <paramref name="stop"/> is signalled (a file being ingested is finished, never cut).</summary>
    public List<InboxOutcome> Scan(CancellationToken stop)
    {
        var outcomes = new List<InboxOutcome>();
        var seen = new Dictionary<string, (long, DateTime)>();
        var ready = new List<FileInfo>();
        Pending = 0;
        foreach (var file in new DirectoryInfo(_inbox).EnumerateFiles())
        {
            if (!Takes(file.Name)) continue;
            Pending++;
            var shape = (file.Length, file.LastWriteTimeUtc);
            seen[file.FullName] = shape;
            if (_previous.TryGetValue(file.FullName, out var before) && before == shape) ready.Add(file);
        }
        _previous = seen;
        foreach (var file in ready.OrderBy(f => f.LastWriteTimeUtc).ThenBy(f => f.Name, StringComparer.Ordinal))
        {
            if (stop.IsCancellationRequested) break;
            var outcome = Process(file.FullName);
            outcomes.Add(outcome);
            if (!outcome.WillRetry) _previous.Remove(file.FullName);
        }
        return outcomes;
    }

    private static bool Takes(string name) =>
        !name.StartsWith('.') && !name.EndsWith(".tmp", StringComparison.OrdinalIgnoreCase)
        && !name.EndsWith(".part", StringComparison.OrdinalIgnoreCase) && !name.EndsWith(".partial", StringComparison.OrdinalIgnoreCase);

    private InboxOutcome Process(string path)
    {
        IngestResult? result = null;
        string? failure;
        try
        {
            result = _ingestor.IngestFile(path);
            failure = result.Skipped;
        }
        catch (OperatorException e)
        {
            failure = e.Message; // the content: no table, a missing column; trying again will not help
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The lake or the file system: the file stays and is tried again at the next scan.
            return new InboxOutcome(path, null, null, $"{e.GetType().Name}: {e.Message.Split('\n')[0]}");
        }
        if (failure is null) return new InboxOutcome(path, MoveInto(path, _done), result, null);
        var moved = MoveInto(path, _failed);
        File.WriteAllText(moved + ".reason.txt", failure + Environment.NewLine);
        return new InboxOutcome(path, moved, result, failure);
    }

    /// <summary>Moves a file into a folder, numbering it when a file of that name is there already.</summary>
    private static string MoveInto(string path, string folder)
    {
        string name = System.IO.Path.GetFileName(path), target = System.IO.Path.Combine(folder, name);
        for (int n = 1; File.Exists(target); n++)
            target = System.IO.Path.Combine(folder, $"{System.IO.Path.GetFileNameWithoutExtension(name)}.{n}{System.IO.Path.GetExtension(name)}");
        File.Move(path, target);
        return target;
    }
}
