using System.Text;

namespace Metrify.Engine.Lake.Internals;

/// <summary>
/// The subset of Thrift's compact protocol that Parquet's footer and page headers need: structs, i32, i64, binary,
/// bool and lists. Field headers carry the delta from the previous field id in the same struct.
/// </summary>
internal sealed class ThriftCompactWriter(ByteSink sink)
{
    private const byte TypeTrue = 1, TypeFalse = 2, TypeI32 = 5, TypeI64 = 6, TypeBinary = 8, TypeList = 9, TypeStruct = 12;
    public const byte ElementI32 = TypeI32, ElementBinary = TypeBinary, ElementStruct = TypeStruct;

    private readonly Stack<short> _outer = new();
    private short _last;

    public ByteSink Sink => sink;

    public void BeginStruct()
    {
        _outer.Push(_last);
        _last = 0;
    }

    public void EndStruct()
    {
        sink.WriteByte(0);
        _last = _outer.Pop();
    }

    private void Field(short id, byte type)
    {
        int delta = id - _last;
        if (delta is > 0 and <= 15) sink.WriteByte((byte)(delta << 4 | type));
        else
        {
            sink.WriteByte(type);
            sink.WriteVarint(ZigZag(id));
        }
        _last = id;
    }

    private static ulong ZigZag(long v) => (ulong)((v << 1) ^ (v >> 63));

    public void I32(short id, int value)
    {
        Field(id, TypeI32);
        sink.WriteVarint(ZigZag(value));
    }

    public void I64(short id, long value)
    {
        Field(id, TypeI64);
        sink.WriteVarint(ZigZag(value));
    }

    public void Bool(short id, bool value) => Field(id, value ? TypeTrue : TypeFalse);

    public void Binary(short id, ReadOnlySpan<byte> value)
    {
        Field(id, TypeBinary);
        BinaryElement(value);
    }

    public void String(short id, string value) => Binary(id, Utf8(value));

    /// <summary>Column names and metadata keys repeat in every footer; their UTF-8 bytes are made once.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> Names = new();

    private static byte[] Utf8(string value) =>
        Names.TryGetValue(value, out var bytes) ? bytes
        : Names.Count < 4096 ? Names.GetOrAdd(value, static v => Encoding.UTF8.GetBytes(v))
        : Encoding.UTF8.GetBytes(value);

    /// <summary>A struct-valued field; close it with <see cref="EndStruct"/>.</summary>
    public void StructField(short id)
    {
        Field(id, TypeStruct);
        BeginStruct();
    }

    /// <summary>A list-valued field's header; then write <paramref name="count"/> elements.</summary>
    public void ListField(short id, byte elementType, int count)
    {
        Field(id, TypeList);
        if (count < 15) sink.WriteByte((byte)(count << 4 | elementType));
        else
        {
            sink.WriteByte((byte)(0xF0 | elementType));
            sink.WriteVarint((ulong)count);
        }
    }

    public void I32Element(int value) => sink.WriteVarint(ZigZag(value));

    public void BinaryElement(ReadOnlySpan<byte> value)
    {
        sink.WriteVarint((ulong)value.Length);
        sink.Write(value);
    }

    public void StringElement(string value) => BinaryElement(Utf8(value));
}
