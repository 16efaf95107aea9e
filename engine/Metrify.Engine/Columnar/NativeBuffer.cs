using System.Buffers;
using System.Runtime.InteropServices;

namespace Metrify.Engine.Columnar;

/// <summary>
/// A block of 64-byte aligned native memory. Native, so the GC never scans or moves it and Arrow/Parquet C++ can read
/// it in place; pooled (see <see cref="NativeBufferPool"/>), so pages are touched once per process, not once per batch.
/// </summary>
public sealed unsafe class NativeBuffer : MemoryManager<byte>
{
    private byte* _pointer;

    internal NativeBuffer(int length)
    {
        Length = length;
        _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)length, 64);
    }

    public int Length { get; }

    public byte* Pointer => _pointer;

    public override Span<byte> GetSpan() => new(_pointer, Length);

    public Span<T> AsSpan<T>() where T : unmanaged => new(_pointer, Length / sizeof(T));

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin() { }

    protected override void Dispose(bool disposing)
    {
        if (_pointer != null)
        {
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
        }
    }

    internal void Free() => Dispose(true);
}
