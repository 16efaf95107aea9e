namespace Metrify.Engine.Quality;

/// <summary>
/// The series states one unit of input (a file, a stream chunk) changed, as they were before it. A unit that is not
/// published (it failed, was fenced, or is decoded again) is undone, so its rows are checked afresh next time rather
/// than dropped as duplicates of themselves. Each series is recorded once per unit (its state carries the journal id).
/// </summary>
public sealed class SeriesJournal
{
    private static int s_nextId;
    private readonly Dictionary<SeriesChecks, SegmentedList<SeriesChecks.Saved>> _entries = new();
    private readonly SegmentedList<IntervalAggregate> _intervals = new(); // meters' aggregate intervals as they were

    public uint Id { get; } = (uint)Interlocked.Increment(ref s_nextId);

    /// <summary>Keep identical duplicates instead of dropping them: the input replaces an earlier one at the same
    /// path, whose files (holding the originals) the publish removes.</summary>
    public bool KeepDuplicates { get; init; }

    /// <summary>The series of <paramref name="owner"/> this unit touched.</summary>
    internal List<int> Touched(SeriesChecks owner)
    {
        lock (_entries)
        {
            var touched = new List<int>();
            if (_entries.TryGetValue(owner, out var list))
                for (int i = 0; i < list.Count; i++) touched.Add(list[i].Number);
            return touched;
        }
    }

    /// <summary>Called under the checks' lock, before the state's first change in this unit.</summary>
    internal void Record(SeriesChecks owner, int number, ref SeriesState state)
    {
        lock (_entries)
        {
            if (!_entries.TryGetValue(owner, out var list)) _entries[owner] = list = new();
            list.Add(owner.Save(number, state, _intervals));
        }
        state.Journal = Id;
    }

    /// <summary>The unit is done with (published, or undone and dropped): its records go back for the next
    /// journal. The journal must not be used after this.</summary>
    public void Release()
    {
        lock (_entries)
        {
            foreach (var list in _entries.Values) list.Release();
            _entries.Clear();
            _intervals.Release();
        }
    }

    public void Undo()
    {
        lock (_entries)
        {
            foreach (var (owner, list) in _entries) owner.Undo(list, _intervals);
            _entries.Clear();
            _intervals.Clear();
        }
    }
}
