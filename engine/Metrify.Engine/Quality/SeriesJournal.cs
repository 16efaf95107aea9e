namespace Metrify.Engine.Quality;

/// <summary>
/// The series states one unit of input (a file, a stream chunk) changed, as they were before it. A unit that is not
/// published (it failed, was fenced, or is decoded again) is undone, so its rows are checked afresh next time rather
/// than dropped as duplicates of themselves. Each series is recorded once per unit (its state carries the journal id).
/// </summary>
public sealed class SeriesJournal
{
    private static int s_nextId;
    private readonly Dictionary<SeriesChecks, List<(int Number, SeriesState Before)>> _entries = new();

    public uint Id { get; } = (uint)Interlocked.Increment(ref s_nextId);

    /// <summary>Called under the checks' lock, before the state's first change in this unit.</summary>
    internal void Record(SeriesChecks owner, int number, ref SeriesState state)
    {
        lock (_entries)
        {
            if (!_entries.TryGetValue(owner, out var list)) _entries[owner] = list = new();
            list.Add((number, state));
        }
        state.Journal = Id;
    }

    public void Undo()
    {
        lock (_entries)
        {
            foreach (var (owner, list) in _entries) owner.Undo(list);
            _entries.Clear();
        }
    }
}
