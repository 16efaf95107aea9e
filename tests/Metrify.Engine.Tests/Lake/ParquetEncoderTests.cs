using Apache.Arrow;
using Metrify.Engine.Columnar;
using Metrify.Engine.Lake;

namespace Metrify.Engine.Tests.Lake;

/// <summary>Every encoder's files read back identically by two independent readers: Arrow C++ and Parquet.Net.</summary>
public class ParquetEncoderTests
{
    private static ColumnBatch Batch(TableSpec table, int rows, int seed)
    {
        var r = new Random(seed);
        var batch = new ColumnBatch(table, rows);
        var written = new bool[table.Columns.Count];
        for (int i = 0; i < rows; i++)
        {
            for (int c = 0; c < table.Columns.Count; c++)
            {
                var spec = table.Columns[c];
                if (spec.Source == ColumnSource.Engine) continue;
                written[c] = true;
                bool isNull = spec.Nullable && r.Next(5) == 0;
                if (isNull) { batch.SetNull(c); continue; }
                switch (spec.Kind)
                {
                    case ColumnKind.Utf8: batch.SetBytes(c, System.Text.Encoding.UTF8.GetBytes($"id-{r.Next(i % 7 == 0 ? 100_000 : 40)}-é")); break;
                    case ColumnKind.Binary: batch.SetBytes(c, [(byte)r.Next(256), 0, (byte)i]); break;
                    case ColumnKind.TimestampMicros: batch.SetInt64(c, 1_767_571_200_000_000 + r.Next(0, 3_600) * 1_000_000L + (i % 3)); break;
                    case ColumnKind.Float64: batch.SetDouble(c, i % 11 == 0 ? r.NextDouble() * 1e6 - 5e5 : Math.Round(r.NextDouble() * 10, 1)); break;
                    case ColumnKind.Int32: batch.SetInt32(c, r.Next(-5, 5)); break;
                    default: batch.SetInt64(c, r.NextInt64(-1_000_000_000_000, 1_000_000_000_000)); break;
                }
            }
            batch.CommitRow(i * 10, i * 10 + 9);
        }
        batch.FillUnwrittenOffsets(written);
        return batch;
    }

    private static List<object?[]> ReadWithArrowCpp(string path)
    {
        using var reader = new ParquetSharp.Arrow.FileReader(path);
        using var batches = reader.GetRecordBatchReader();
        var rows = new List<object?[]>();
        RecordBatch? b;
        while ((b = batches.ReadNextRecordBatchAsync().AsTask().GetAwaiter().GetResult()) is not null)
        {
            using (b)
            for (int i = 0; i < b.Length; i++)
                rows.Add(Enumerable.Range(0, b.ColumnCount).Select(c => Value(b.Column(c), i)).ToArray());
        }
        return rows;
    }

    private static object? Value(IArrowArray array, int i) => array.IsNull(i) ? null : array switch
    {
        StringArray s => s.GetString(i),
        BinaryArray bin => Convert.ToHexString(bin.GetBytes(i)),
        TimestampArray t => t.Values[i],
        DoubleArray d => d.Values[i],
        Int32Array n => n.Values[i],
        Int64Array l => l.Values[i],
        _ => throw new InvalidOperationException(array.GetType().Name),
    };

    private static List<object?[]> Expected(ColumnBatch batch)
    {
        using var rb = batch.ToRecordBatch();
        return Enumerable.Range(0, rb.Length).Select(i => Enumerable.Range(0, rb.ColumnCount).Select(c => Value(rb.Column(c), i)).ToArray()).ToList();
    }

    /// <summary>Writes batches into a new file with the Metrify encoder and returns its path.</summary>
    private static string WriteMetrify(TableSpec table, string name, params ColumnBatch[] batches)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("metrify-enc-").FullName, name);
        using var e = ParquetEncoders.Open(path, table, new LakeOptions { Encoder = ParquetEncoderKind.Metrify }, new Dictionary<string, string>());
        foreach (var batch in batches)
            using (var rb = batch.ToRecordBatch()) e.Write(rb);
        e.Close();
        return path;
    }

    [Theory]
    [InlineData(ParquetEncoderKind.Metrify, "readings")]
    [InlineData(ParquetEncoderKind.Metrify, "quarantine")]
    [InlineData(ParquetEncoderKind.ParquetSharp, "readings")]
    [InlineData(ParquetEncoderKind.ParquetNet, "quarantine")]
    public void Arrow_cpp_reads_back_every_value(ParquetEncoderKind encoder, string tableName)
    {
        var table = Tables.Find(tableName)!;
        var path = Path.Combine(Directory.CreateTempSubdirectory("metrify-enc-").FullName, "t.parquet");
        using var first = Batch(table, 3000, 1);
        using var second = Batch(table, 2500, 2);
        using (var e = ParquetEncoders.Open(path, table, new LakeOptions { Encoder = encoder, RowGroupRows = 2000 }, new Dictionary<string, string> { ["k"] = "v" }))
        {
            using (var a = first.ToRecordBatch()) e.Write(a);
            using (var b = second.ToRecordBatch()) e.Write(b);
            e.Close();
        }
        var expected = Expected(first).Concat(Expected(second)).ToList();
        var actual = ReadWithArrowCpp(path);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], actual[i]);
        using var file = new ParquetSharp.ParquetFileReader(path);
        Assert.Equal(3, file.FileMetaData.NumRowGroups);
        Assert.Equal("v", file.FileMetaData.KeyValueMetadata["k"]);
        Assert.Equal(TableSpec.SchemaVersion, file.FileMetaData.KeyValueMetadata["metrify.schema_version"]);
    }

    [Fact]
    public void A_column_null_in_one_batch_and_present_in_the_next_reads_back()
    {
        var table = Tables.Weather;
        using var nulls = new ColumnBatch(table, 100);
        using var values = new ColumnBatch(table, 100);
        for (int i = 0; i < 100; i++)
        {
            nulls.SetBytes(0, "DWD-1"u8);
            nulls.SetInt64(1, 1_767_571_200_000_000 + i);
            nulls.CommitRow(i, i + 1); // temperature (column 2) never written: all null
            values.SetBytes(0, "DWD-2"u8);
            values.SetInt64(1, 1_767_571_300_000_000 + i);
            values.SetDouble(2, i / 10.0);
            values.CommitRow(i, i + 1);
        }
        var written = new bool[table.Columns.Count];
        written[0] = true;
        nulls.FillUnwrittenOffsets(written);
        values.FillUnwrittenOffsets(written);
        var rows = ReadWithArrowCpp(WriteMetrify(table, "nulls.parquet", nulls, values));
        Assert.Equal(200, rows.Count);
        Assert.All(rows.Take(100), r => Assert.Null(r[2]));
        Assert.Equal(9.9, rows[199][2]);
        Assert.Equal("DWD-2", rows[150][0]);
    }

    [Fact]
    public async Task Metrify_files_read_with_Parquet_Net_too()
    {
        var table = Tables.Weather;
        using var batch = Batch(table, 1000, 3);
        var path = WriteMetrify(table, "w.parquet", batch);
        await using var stream = File.OpenRead(path);
        await using var reader = await Parquet.ParquetReader.CreateAsync(stream);
        using var group = reader.OpenRowGroupReader(0);
        var fields = reader.Schema.GetDataFields();
        var temps = new double?[1000];
        await group.ReadAsync<double>(fields[2], temps.AsMemory());
        var expected = batch.DoubleValues(2).ToArray();
        for (int i = 0; i < 1000; i++) Assert.Equal(batch.IsValid(2, i) ? expected[i] : null, temps[i]);
        var ids = new string?[1000];
        await group.ReadAsync(fields[0], ids.AsMemory());
        Assert.Equal(System.Text.Encoding.UTF8.GetString(batch.GetBytes(0, 999)), ids[999]);
    }

    private static readonly TableSpec Narrow = new("narrow", "Encoder tests.",
        [new("at", ColumnKind.TimestampMicros, false, "", ""), new("k", ColumnKind.Int32, false, "", ""), new("x", ColumnKind.Float64, true, "", "")], "at");

    /// <summary>Dictionary indices of every bit width the encoder writes (1 to 16) and runs between literals.</summary>
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(17)]
    [InlineData(255)]
    [InlineData(1000)]
    [InlineData(5_000)]
    [InlineData(40_000)]
    public void Dictionary_indices_of_every_width_read_back(int distinct)
    {
        int rows = Math.Max(4 * distinct, 1000) + 37;
        using var batch = new ColumnBatch(Narrow, rows);
        for (int i = 0; i < rows; i++)
        {
            batch.SetInt64(0, 1_767_571_200_000_000 + i);
            batch.SetInt32(1, i % 100 < 30 ? 7 : (int)((uint)(i * 2_654_435_761L) % distinct)); // runs of 30, then scattered
            if (i % 9 == 0) batch.SetNull(2); else batch.SetDouble(2, i % distinct / 4.0);
            batch.CommitRow(i, i + 1);
        }
        var path = WriteMetrify(Narrow, "n.parquet", batch);
        Assert.Equal(Expected(batch), ReadWithArrowCpp(path));
    }

    /// <summary>Ids in the same order round after round (the string dictionary's shortcut), with rounds in another
    /// order, an id left out, new ids, and ids shorter than 8, 8 to 16 and longer than 16 bytes.</summary>
    [Fact]
    public void String_ids_in_repeating_and_changing_orders_read_back()
    {
        var table = Tables.Weather;
        var ids = Enumerable.Range(0, 60).Select(i => (i % 3) switch { 0 => $"S{i}", 1 => $"DWD-{i:D8}", _ => $"station-long-name-{i:D4}" }).ToArray();
        var r = new Random(5);
        using var batch = new ColumnBatch(table, 6000);
        for (int round = 0; round < 80; round++)
        {
            var order = round % 10 == 7 ? ids.OrderBy(_ => r.Next()).ToArray() : ids;
            foreach (var id in order)
            {
                if (round % 13 == 4 && id == ids[17]) continue;
                batch.SetBytes(0, System.Text.Encoding.UTF8.GetBytes(round > 50 && id == ids[30] ? id + "-new" : id));
                batch.SetInt64(1, 1_767_571_200_000_000 + round * 60_000_000L);
                batch.CommitRow(batch.Count, batch.Count + 1);
            }
        }
        var written = new bool[table.Columns.Count];
        written[0] = written[1] = true;
        batch.FillUnwrittenOffsets(written);
        var path = WriteMetrify(table, "ids.parquet", batch);
        Assert.Equal(Expected(batch), ReadWithArrowCpp(path));
    }

    /// <summary>Min and max in the footer, as Arrow C++ reads them: NaN is left out of a double column's order.</summary>
    [Fact]
    public void Statistics_hold_the_least_and_greatest_values_without_NaN()
    {
        using var batch = new ColumnBatch(Narrow, 20_000);
        for (int i = 0; i < 20_000; i++)
        {
            batch.SetInt64(0, 1_767_571_200_000_000 + (i * 7919L % 20_000));
            batch.SetInt32(1, i % 3 == 0 ? -(i % 1000) : i % 777);
            if (i % 5 == 0) batch.SetDouble(2, double.NaN); else if (i % 7 == 0) batch.SetNull(2); else batch.SetDouble(2, Math.Sin(i) * 100);
            batch.CommitRow(i, i + 1);
        }
        var path = WriteMetrify(Narrow, "s.parquet", batch);
        using var file = new ParquetSharp.ParquetFileReader(path);
        using var group = file.RowGroup(0);
        var at = (ParquetSharp.Statistics<long>)group.MetaData.GetColumnChunkMetaData(0).Statistics!;
        var k = (ParquetSharp.Statistics<int>)group.MetaData.GetColumnChunkMetaData(1).Statistics!;
        var x = (ParquetSharp.Statistics<double>)group.MetaData.GetColumnChunkMetaData(2).Statistics!;
        Assert.Equal((1_767_571_200_000_000L, 1_767_571_200_000_000L + 19_999), (at.Min, at.Max));
        var ks = batch.Int32Values(1).ToArray();
        Assert.Equal((ks.Min(), ks.Max()), (k.Min, k.Max));
        var xs = Enumerable.Range(0, 20_000).Where(i => batch.IsValid(2, i)).Select(i => batch.DoubleValues(2)[i]).Where(v => !double.IsNaN(v)).ToArray();
        Assert.Equal((xs.Min(), xs.Max()), (x.Min, x.Max));
        Assert.Equal(Enumerable.Range(0, 20_000).Count(i => !batch.IsValid(2, i)), x.NullCount);
    }
}
