using System.Diagnostics.CodeAnalysis;

namespace Metrify.Engine.Columnar;

/// <summary>
/// Objects kept for the next user, across threads: encoders, column buffers and scratch arrays that an input's
/// writers make and drop by the hundred. At most <paramref name="limit"/> are kept, and none that has lain unused
/// for <see cref="IdleMilliseconds"/>: the last one returned is the first taken, so after a burst the surplus sinks to
/// the bottom and is let go (through <paramref name="release"/>). What is kept then follows the recent demand, not the
/// largest ever seen, and a daemon's memory stays flat. A lock, not a lock-free structure: users take and return once
/// per file or row group, and a lock-free stack allocates a node per push.
/// </summary>
internal sealed class FreeList<T>(int limit, Action<T>? release = null) where T : class
{
    /// <summary>Long enough that an input's own rhythm (a file every few seconds, a chunk every second) never lets
    /// go of what its next file needs; short enough that a burst's buffers go within a minute.</summary>
    public const long IdleMilliseconds = 20_000;

    private readonly T?[] _items = new T?[limit];  // a ring: the oldest at _bottom, the newest _count - 1 after it
    private readonly long[] _returnedAt = new long[limit];
    private int _bottom, _count;

    public int Count => Volatile.Read(ref _count);

    public bool TryTake([MaybeNullWhen(false)] out T item)
    {
        lock (_items)
        {
            if (_count == 0)
            {
                item = null;
                return false;
            }
            int top = (_bottom + --_count) % limit;
            item = _items[top]!;
            _items[top] = null;
            return true;
        }
    }

    /// <summary>Keeps <paramref name="item"/>; false when the list is full and the caller should let it go.</summary>
    public bool Return(T item) => Return(item, Environment.TickCount64);

    internal bool Return(T item, long nowMilliseconds)
    {
        T? stale = null;
        bool kept;
        lock (_items)
        {
            // One stale item per return is enough: returns come at least as often as items could go stale.
            if (_count > 0 && nowMilliseconds - _returnedAt[_bottom] > IdleMilliseconds)
            {
                stale = _items[_bottom];
                _items[_bottom] = null;
                _bottom = (_bottom + 1) % limit;
                _count--;
            }
            kept = _count < limit;
            if (kept)
            {
                int top = (_bottom + _count++) % limit;
                _items[top] = item;
                _returnedAt[top] = nowMilliseconds;
            }
        }
        if (stale is not null) release?.Invoke(stale);
        return kept;
    }
}
