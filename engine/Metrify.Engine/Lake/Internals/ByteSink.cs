using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Metrify.Engine.Lake.Internals;

/// <summary>A growable byte buffer over a pooled array: where pages and Thrift structures are assembled.</summary>
internal sealed class ByteSink : IDisposable
{
    private byte[] _buffer;

    public ByteSink(int capacity = 4096) => _buffer = ArrayPool<byte>.Shared.Rent(capacity);

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

    public void Clear() => Length = 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> GetSpan(int size)
    {
        if (Length + size > _buffer.Length) Grow(size);
        return _buffer.AsSpan(Length, size);
    }

    public void Advance(int count) => Length += count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteByte(byte value)
    {
        if (Length == _buffer.Length) Grow(1);
        _buffer[Length++] = value;
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        Length += bytes.Length;
    }

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(GetSpan(4), value);
        Length += 4;
    }

    /// <summary>Unsigned LEB128, as Thrift's compact protocol and Parquet's RLE headers use it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteVarint(ulong value)
    {
        var span = GetSpan(10);
        int n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[n++] = (byte)value;
        Length += n;
    }

    /// <summary>Overwrites 4 bytes at <paramref name="position"/> (length prefixes written after their content).</summary>
    public void PatchInt32(int position, int value) => BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(position, 4), value);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int size)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, Length + size));
        _buffer.AsSpan(0, Length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
