using System.Numerics;

namespace Metrify.Engine.Columnar;

/// <summary>
/// Power-of-two size classes of <see cref="NativeBuffer"/>s. Buffers cross threads (the decoder rents them, the
/// Parquet encoder returns them). Retained bytes are capped, and a buffer that lay unused for
/// <see cref="FreeList{T}.IdleMilliseconds"/> is freed: what a burst made does not stay with the process for ever.
/// </summary>
public sealed class NativeBufferPool
{
    private const int MinShift = 12; // 4 KiB
    private const int MaxShift = 30; // 1 GiB
    private const int MaxPerClass = 4096;
    private readonly FreeList<NativeBuffer>[] _classes = new FreeList<NativeBuffer>[MaxShift - MinShift + 1];
    private readonly long _maxRetainedBytes;
    private long _retainedBytes;

    public NativeBufferPool(long maxRetainedBytes = 1L << 30)
    {
        _maxRetainedBytes = maxRetainedBytes;
        for (int i = 0; i < _classes.Length; i++) _classes[i] = new FreeList<NativeBuffer>(MaxPerClass, Release);
    }

    /// <summary>Bytes of free buffers kept for reuse.</summary>
    public long RetainedBytes => Interlocked.Read(ref _retainedBytes);

    private void Release(NativeBuffer buffer)
    {
        Interlocked.Add(ref _retainedBytes, -buffer.Length);
        buffer.Free();
    }

    public static NativeBufferPool Shared { get; } = new();

    public NativeBuffer Rent(int minimumLength)
    {
        int shift = Math.Max(MinShift, 32 - BitOperations.LeadingZeroCount((uint)Math.Max(minimumLength - 1, 1)));
        if (shift > MaxShift) throw new ArgumentOutOfRangeException(nameof(minimumLength), "A column buffer over 1 GiB was requested.");
        if (_classes[shift - MinShift].TryTake(out var buffer))
            Interlocked.Add(ref _retainedBytes, -buffer.Length);
        else
            buffer = new NativeBuffer(1 << shift);
        return buffer;
    }

    public void Return(NativeBuffer buffer)
    {
        int shift = BitOperations.Log2((uint)buffer.Length);
        if (Interlocked.Add(ref _retainedBytes, buffer.Length) > _maxRetainedBytes)
        {
            Interlocked.Add(ref _retainedBytes, -buffer.Length);
            buffer.Free();
            return;
        }
        if (!_classes[shift - MinShift].Return(buffer)) Release(buffer);
    }
}
