using System.Numerics;

namespace Metrify.Engine.Columnar;

/// <summary>
/// Arrays kept for reuse by power-of-two length, each size in a <see cref="FreeList{T}"/> (so what lay unused for a
/// while is let go). Not the shared array pool: it keeps 32 arrays a size per core, and a daemon with hundreds of
/// files and chunks open holds thousands of some sizes, so every swing in their number made and dropped arrays on
/// the large object heap, which only a full collection frees.
/// </summary>
internal static class ArraysBySize<T>
{
    private const int MaxPerSize = 4096;
    private static readonly FreeList<T[]>?[] Free = new FreeList<T[]>?[32]; // made on first use of a size

    private static FreeList<T[]> For(int shift) =>
        Volatile.Read(ref Free[shift]) ?? Interlocked.CompareExchange(ref Free[shift], new FreeList<T[]>(MaxPerSize), null) ?? Free[shift]!;

    /// <summary>An array of at least <paramref name="length"/> (a power of two, at least 16), contents undefined.</summary>
    public static T[] Rent(int length)
    {
        int shift = BitOperations.Log2(BitOperations.RoundUpToPowerOf2((uint)Math.Max(length, 16)));
        return For(shift).TryTake(out var array) ? array : GC.AllocateUninitializedArray<T>(1 << shift);
    }

    /// <summary>A rented array twice the size, holding the first <paramref name="used"/> items of <paramref name="array"/>,
    /// which goes back.</summary>
    public static T[] Grow(T[] array, int needed, int used)
    {
        var bigger = Rent(Math.Max(needed, array.Length * 2));
        array.AsSpan(0, used).CopyTo(bigger);
        Return(array);
        return bigger;
    }

    /// <summary>Takes back an array from <see cref="Rent"/>.</summary>
    public static void Return(T[] array) => For(BitOperations.Log2((uint)array.Length)).Return(array);
}
