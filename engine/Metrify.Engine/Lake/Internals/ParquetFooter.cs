using Metrify.Engine.Columnar;

namespace Metrify.Engine.Lake.Internals;

/// <summary>Parquet's FileMetaData in Thrift compact form (parquet-format's parquet.thrift field ids).</summary>
internal static class ParquetFooter
{
    private const int TypeInt32 = 1, TypeInt64 = 2, TypeDouble = 5, TypeByteArray = 6;
    private const int Required = 0, Optional = 1;
    private const int ConvertedUtf8 = 0, ConvertedTimestampMicros = 10;
    private const int EncodingPlain = 0, EncodingRle = 3, EncodingRleDictionary = 8;

    public static int PhysicalType(ColumnKind kind) => kind switch
    {
        ColumnKind.Int32 => TypeInt32,
        ColumnKind.Int64 or ColumnKind.TimestampMicros => TypeInt64,
        ColumnKind.Float64 => TypeDouble,
        _ => TypeByteArray,
    };

    public static void Write(ThriftCompactWriter t, TableSpec table,
        List<(long Rows, long Offset, long Compressed, long Uncompressed, ColumnChunkMeta[] Columns)> rowGroups,
        int codec, IReadOnlyDictionary<string, string> tableMetadata, IReadOnlyDictionary<string, string> fileMetadata)
    {
        t.BeginStruct();
        t.I32(1, 2); // version
        t.ListField(2, ThriftCompactWriter.ElementStruct, table.Columns.Count + 1);
        t.BeginStruct();
        t.String(4, "schema");
        t.I32(5, table.Columns.Count);
        t.EndStruct();
        foreach (var c in table.Columns) SchemaElement(t, c);
        t.I64(3, rowGroups.Sum(g => g.Rows));
        t.ListField(4, ThriftCompactWriter.ElementStruct, rowGroups.Count);
        foreach (var g in rowGroups)
        {
            t.BeginStruct();
            t.ListField(1, ThriftCompactWriter.ElementStruct, g.Columns.Length);
            foreach (var m in g.Columns) ColumnChunk(t, m, codec);
            t.I64(2, g.Uncompressed);
            t.I64(3, g.Rows);
            t.I64(5, g.Offset);
            t.I64(6, g.Compressed);
            t.EndStruct();
        }
        int shared = 0;
        foreach (var key in tableMetadata.Keys) if (!fileMetadata.ContainsKey(key)) shared++;
        t.ListField(5, ThriftCompactWriter.ElementStruct, shared + fileMetadata.Count);
        foreach (var (k, v) in tableMetadata)
            if (!fileMetadata.ContainsKey(k)) KeyValue(t, k, v);
        foreach (var (k, v) in fileMetadata) KeyValue(t, k, v);
        t.String(6, "metrify");
        t.ListField(7, ThriftCompactWriter.ElementStruct, table.Columns.Count); // column orders: type-defined
        foreach (var _ in table.Columns)
        {
            t.BeginStruct();
            t.StructField(1);
            t.EndStruct();
            t.EndStruct();
        }
        t.EndStruct();
    }

    private static void KeyValue(ThriftCompactWriter t, string key, string value)
    {
        t.BeginStruct();
        t.String(1, key);
        t.String(2, value);
        t.EndStruct();
    }

    private static void SchemaElement(ThriftCompactWriter t, ColumnSpec c)
    {
        t.BeginStruct();
        t.I32(1, PhysicalType(c.Kind));
        t.I32(3, c.Nullable ? Optional : Required);
        t.String(4, c.Name);
        if (c.Kind == ColumnKind.Utf8) t.I32(6, ConvertedUtf8);
        if (c.Kind == ColumnKind.TimestampMicros) t.I32(6, ConvertedTimestampMicros);
        if (c.Kind == ColumnKind.Utf8)
        {
            t.StructField(10); // LogicalType
            t.StructField(1);  // STRING
            t.EndStruct();
            t.EndStruct();
        }
        else if (c.Kind == ColumnKind.TimestampMicros)
        {
            t.StructField(10); // LogicalType
            t.StructField(8);  // TIMESTAMP
            t.Bool(1, true);   // isAdjustedToUTC
            t.StructField(2);  // unit
            t.StructField(2);  // MICROS
            t.EndStruct();
            t.EndStruct();
            t.EndStruct();
            t.EndStruct();
        }
        t.EndStruct();
    }

    private static void ColumnChunk(ThriftCompactWriter t, ColumnChunkMeta m, int codec)
    {
        t.BeginStruct();
        t.I64(2, m.Dictionary ? m.DictionaryPageOffset : m.DataPageOffset);
        t.StructField(3);
        t.I32(1, PhysicalType(m.Spec.Kind));
        int[] encodings = m.Dictionary ? [EncodingPlain, EncodingRle, EncodingRleDictionary] : [EncodingPlain, EncodingRle];
        t.ListField(2, ThriftCompactWriter.ElementI32, encodings.Length);
        foreach (var e in encodings) t.I32Element(e);
        t.ListField(3, ThriftCompactWriter.ElementBinary, 1);
        t.StringElement(m.Spec.Name);
        t.I32(4, codec);
        t.I64(5, m.NumValues);
        t.I64(6, m.UncompressedBytes);
        t.I64(7, m.CompressedBytes);
        t.I64(9, m.DataPageOffset);
        if (m.Dictionary) t.I64(11, m.DictionaryPageOffset);
        t.StructField(12); // Statistics
        t.I64(3, m.NullCount);
        if (m.HasStatistics)
        {
            Span<byte> scratch = stackalloc byte[8];
            t.Binary(5, m.Statistic(max: true, scratch));
            t.Binary(6, m.Statistic(max: false, scratch));
        }
        t.EndStruct();
        t.EndStruct();
        t.EndStruct();
    }
}
