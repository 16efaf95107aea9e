using System.Runtime.CompilerServices;

namespace Metrify.Engine.Quality;

/// <summary>
/// An append-only list of structs in segments of at most 64 KB. A journal records thousands of meters per input (a
/// Kafka chunk every second): growing one array would copy it at every doubling and put it on the large object heap,
/// which only a full collection frees.
/// </summary>
internal sealed class SegmentedList<T> where T : struct
{
    private readonly int _perSegment = Math.Max(1, 65_536 / Unsafe.SizeOf<T>());
    private readonly List<T[]> _segments = new();

    public int Count { get; private set; }

    public ref T this[int index] => ref _segments[index / _perSegment][index % _perSegment];

    public void Add(in T item) => Reserve(1)[0] = item;

    /// <summary>Appends a run that stays in one segment (at most a segment long) and returns where it starts.</summary>
    public int AddRun(ReadOnlySpan<T> items)
    {
        int left = _perSegment - Count % _perSegment;
        if (items.Length > left && left < _perSegment) Count += left; // start the run in a fresh segment
        int at = Count;
        items.CopyTo(Reserve(items.Length));
        return at;
    }

    /// <summary>A run written by <see cref="AddRun"/>.</summary>
    public Span<T> Run(int at, int length) => _segments[at / _perSegment].AsSpan(at % _perSegment, length);

    private Span<T> Reserve(int length)
    {
        if (length > _perSegment) throw new ArgumentOutOfRangeException(nameof(length), "A run must fit in one segment.");
        int segment = Count / _perSegment;
        while (segment >= _segments.Count) _segments.Add(NewSegment());
        var span = _segments[segment].AsSpan(Count % _perSegment, length);
        Count += length;
        return span;
    }

    public void Clear() => Count = 0; // segments stay for reuse

    /// <summary>Empties the list and gives its segments to the next list: a journal per input (a Kafka chunk every
    /// second per partition) would otherwise allocate its segments afresh each time.</summary>
    public void Release()
    {
        foreach (var segment in _segments) Free.Return(segment);
        _segments.Clear();
        Count = 0;
    }

    private static readonly Columnar.FreeList<T[]> Free = new(256); // 16 MiB of segments per element type

    private T[] NewSegment() => Free.TryTake(out var segment) && segment.Length == _perSegment ? segment : new T[_perSegment];
}
