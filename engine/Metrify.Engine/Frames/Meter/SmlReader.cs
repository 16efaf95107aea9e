using System.Runtime.CompilerServices;

namespace Metrify.Engine.Frames.Meter;

/// <summary>SML type of a TL field (bits 6-4 of its first byte).</summary>
public enum SmlType : byte { Octets = 0, Boolean = 4, Integer = 5, Unsigned = 6, List = 7, EndOfMessage = 8 }

/// <summary>
/// A cursor over an SML message payload that reads TL fields and values. Never throws: every read checks the
/// bounds and turns <see cref="Failed"/> on when the data is malformed, after which all reads return defaults.
/// </summary>
public ref struct SmlReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    public int Position;
    public bool Failed;

    public readonly bool AtEnd => Position >= _data.Length;
    public readonly ReadOnlySpan<byte> Data => _data;

    /// <summary>Reads a TL field. For octets and numbers <paramref name="length"/> is the data length (the TL bytes
    /// excluded); for lists it is the element count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool ReadTl(out SmlType type, out int length)
    {
        type = default;
        length = 0;
        if (Failed || Position >= _data.Length) return Fail();
        byte b = _data[Position];
        if (b == 0x00) { Position++; type = SmlType.EndOfMessage; return true; }
        int n = 1;
        int len = b & 0x0F;
        type = (SmlType)((b >> 4) & 7);
        while ((b & 0x80) != 0)
        {
            if (Position + n >= _data.Length || n > 4) return Fail();
            b = _data[Position + n];
            if ((b & 0x70) != 0) return Fail();
            len = (len << 4) | (b & 0x0F);
            n++;
        }
        Position += n;
        if (type == SmlType.List) { length = len; return true; }
        if (type is not (SmlType.Octets or SmlType.Boolean or SmlType.Integer or SmlType.Unsigned)) return Fail();
        length = len - n;
        if (length < 0 || Position + length > _data.Length) return Fail();
        return true;
    }

    public bool Fail()
    {
        Failed = true;
        return false;
    }

    /// <summary>Reads a list header and checks its element count.</summary>
    public bool ReadList(int count)
    {
        if (!ReadTl(out var type, out int n)) return false;
        return type == SmlType.List && n == count || Fail();
    }

    /// <summary>Reads an optional octet string (the absent form is 01, an empty string).</summary>
    public ReadOnlySpan<byte> ReadOctets()
    {
        if (!ReadTl(out var type, out int n) || type != SmlType.Octets) { Fail(); return default; }
        var s = _data.Slice(Position, n);
        Position += n;
        return s;
    }

    /// <summary>Reads an integer of any width 1..8 (signed ones sign-extended by their declared width). An absent
    /// optional field (01) reads as not present.</summary>
    public bool ReadInteger(out long value, out bool present)
    {
        value = 0;
        present = false;
        if (!ReadTl(out var type, out int n)) return false;
        if (type == SmlType.Octets && n == 0) return true;
        if (type is not (SmlType.Integer or SmlType.Unsigned or SmlType.Boolean) || n is < 1 or > 8) return Fail();
        value = ReadNumber(type, n);
        present = true;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long ReadNumber(SmlType type, int n)
    {
        long value = Number(_data.Slice(Position, n), type == SmlType.Integer);
        Position += n;
        return value;
    }

    /// <summary>A big-endian integer of 1..8 bytes; a signed one is sign-extended from its declared width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Number(ReadOnlySpan<byte> bytes, bool signed)
    {
        ulong v = 0;
        for (int i = 0; i < bytes.Length; i++) v = (v << 8) | bytes[i];
        int shift = 64 - 8 * bytes.Length;
        return signed && shift > 0 ? (long)(v << shift) >> shift : (long)v;
    }

    /// <summary>Skips one element of any type, lists recursively (depth-bounded against hostile nesting).</summary>
    public bool Skip(int depth = 0)
    {
        if (depth > 16) return Fail();
        if (!ReadTl(out var type, out int n)) return false;
        if (type == SmlType.EndOfMessage) return true;
        if (type != SmlType.List) { Position += n; return true; }
        for (int i = 0; i < n; i++)
            if (!Skip(depth + 1)) return false;
        return true;
    }

    public readonly byte Peek() => Position < _data.Length ? _data[Position] : (byte)0;
}
