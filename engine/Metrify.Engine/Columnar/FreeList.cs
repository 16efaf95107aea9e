using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Metrify.Engine.Columnar;

/// <summary>
/// Objects kept for the next user, across threads, at most <paramref name="limit"/> of them: encoders, column
/// buffers and scratch arrays that an input's writers make and drop by the hundred. The count is kept apart because
/// <see cref="ConcurrentBag{T}.Count"/> locks every thread's list to count them.
/// </summary>
internal sealed class FreeList<T>(int limit) where T : class
{
    private readonly ConcurrentQueue<T> _items = new();
    private int _count;

    public bool TryTake([MaybeNullWhen(false)] out T item)
    {
        if (!_items.TryDequeue(out item)) return false;
        Interlocked.Decrement(ref _count);
        return true;
    }

    /// <summary>Keeps <paramref name="item"/>; false when the list is full and the caller should let it go.</summary>
    public bool Return(T item)
    {
        if (Interlocked.Increment(ref _count) > limit)
        {
            Interlocked.Decrement(ref _count);
            return false;
        }
        _items.Enqueue(item);
        return true;
    }
}
