using Apache.Arrow;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Tests.Columnar;

public class ColumnBatchTests
{
    private static readonly TableSpec W = Tables.Weather;

    private static void AddRow(ColumnBatch b, string id, long ts, double? temp, long start)
    {
        b.SetBytes(0, System.Text.Encoding.UTF8.GetBytes(id));
        b.SetInt64(1, ts);
        if (temp is { } t) b.SetDouble(2, t);
        b.CommitRow(start, start + 10);
    }

    [Fact]
    public void Arrow_view_shares_the_buffers_and_reports_nulls()
    {
        using var batch = new ColumnBatch(W, 16);
        AddRow(batch, "DWD-1", 1_000_000, 1.5, 0);
        AddRow(batch, "DWD-22", 2_000_000, null, 10);
        var written = new bool[W.Columns.Count];
        written[0] = written[1] = written[2] = true;
        batch.FillUnwrittenOffsets(written);
        using var rb = batch.ToRecordBatch();
        Assert.Equal(2, rb.Length);
        var ids = (StringArray)rb.Column(0);
        Assert.Equal("DWD-22", ids.GetString(1));
        var temps = (DoubleArray)rb.Column(2);
        Assert.Equal(1.5, temps.GetValue(0));
        Assert.Null(temps.GetValue(1));
        Assert.Equal(1, temps.NullCount);
        Assert.Equal(2, rb.Column(3).NullCount); // a column nobody wrote is all null
        Assert.Equal(0, ((Int32Array)rb.Column(W.QualityFlagsIndex)).GetValue(1));
    }

    [Fact]
    public void Rows_appended_in_bulk_keep_strings_nulls_and_positions_and_grow_the_string_data()
    {
        using var batch = new ColumnBatch(W, 8);
        AddRow(batch, "first", 1, 0.5, 0);
        int n = 5;
        var ts = batch.NextValues<long>(1, n);
        var temp = batch.NextValues<double>(2, n);
        for (int i = 0; i < n; i++)
        {
            // 2,000 bytes a row: past what the data buffer starts with (16 bytes a row, at least 4 KiB), so it grows mid-way.
            batch.SetBytesAt(0, batch.Count + i, System.Text.Encoding.UTF8.GetBytes(new string((char)('a' + i), 2000)));
            ts[i] = 100 + i;
            temp[i] = i;
            if (i != 2) batch.SetValidAt(2, i);
        }
        batch.CommitRows([70, 71, 72, 73, 74]);
        Assert.Equal(6, batch.Count);
        Assert.Equal(2, batch.Room);
        Assert.Equal("first"u8.ToArray(), batch.GetBytes(0, 0).ToArray());
        for (int i = 0; i < n; i++)
            Assert.Equal(new string((char)('a' + i), 2000), System.Text.Encoding.UTF8.GetString(batch.GetBytes(0, 1 + i)));
        Assert.Equal(new long[] { 1, 100, 101, 102, 103, 104 }, batch.Int64Values(1).ToArray());
        Assert.True(batch.IsValid(2, 2));
        Assert.False(batch.IsValid(2, 3)); // row 2 of the bulk
        Assert.Equal(3.0, batch.DoubleValues(2)[4]);
        Assert.Equal(72, batch.RowStarts[3]);
        Assert.Equal(73, batch.RowEnds[3]);
    }

    [Fact]
    public void Doubles_copied_out_are_NaN_where_null()
    {
        using var batch = new ColumnBatch(W, 32);
        for (int i = 0; i < 20; i++) AddRow(batch, "s", i, i % 7 == 0 ? null : i, 0);
        var values = new double[20];
        batch.CopyDoublesOrNaN(2, values);
        for (int i = 0; i < 20; i++)
            if (i % 7 == 0) Assert.True(double.IsNaN(values[i])); else Assert.Equal(i, values[i]);
        batch.CopyDoublesOrNaN(3, values); // never written: all null
        Assert.All(values, v => Assert.True(double.IsNaN(v)));
    }

    [Fact]
    public void A_discarded_row_leaves_no_trace()
    {
        using var batch = new ColumnBatch(W, 16);
        batch.SetBytes(0, "garbage-garbage"u8);
        batch.SetDouble(2, 99);
        batch.DiscardRow();
        AddRow(batch, "ok", 5, null, 0);
        Assert.Equal(1, batch.Count);
        Assert.Equal("ok"u8.ToArray(), batch.GetBytes(0, 0).ToArray());
        Assert.False(batch.IsValid(2, 0));
    }

    [Fact]
    public void AppendRows_gathers_selected_rows_with_strings_and_validity()
    {
        using var source = new ColumnBatch(W, 16);
        for (int i = 0; i < 10; i++) AddRow(source, new string('x', i + 1), i, i % 3 == 0 ? null : i, i * 10);
        using var target = new ColumnBatch(W, 16);
        target.AppendRows(source, [9, 3, 4]);
        Assert.Equal(3, target.Count);
        Assert.Equal(new string('x', 10), System.Text.Encoding.UTF8.GetString(target.GetBytes(0, 0)));
        Assert.Equal(4, target.GetBytes(0, 1).Length);
        Assert.False(target.IsValid(2, 1));
        Assert.Equal(4.0, target.DoubleValues(2)[2]);
        Assert.Equal([90L, 30, 40], target.RowStarts.ToArray());
    }

    [Fact]
    public void AppendRows_skips_columns_the_source_has_no_value_in_and_leaves_them_null()
    {
        using var source = new ColumnBatch(W, 16);
        for (int i = 0; i < 6; i++) AddRow(source, "s" + i, i, i % 2 == 0 ? null : i, i);
        ulong withValues = source.ColumnsWithValues();
        Assert.NotEqual(0UL, withValues & (1UL << 2)); // some temperatures
        Assert.Equal(0UL, withValues & (1UL << 3));    // column 3 never written
        using var target = new ColumnBatch(W, 16);
        target.SetDouble(3, 7.5); // a row of the target's own that has column 3
        AddRow(target, "own", 100, 1, 0);
        target.AppendRows(source, [5, 2], withValues);
        Assert.Equal(3, target.Count);
        Assert.True(target.IsValid(3, 0));
        Assert.False(target.IsValid(3, 1));
        Assert.False(target.IsValid(3, 2));
        Assert.Equal(5.0, target.DoubleValues(2)[1]);
        Assert.False(target.IsValid(2, 2));
        Assert.Equal("s5"u8.ToArray(), target.GetBytes(0, 1).ToArray());
    }

    [Fact]
    public void KeepRows_moves_the_kept_rows_down_in_runs_with_strings_and_validity()
    {
        using var batch = new ColumnBatch(W, 16);
        for (int i = 0; i < 12; i++) AddRow(batch, new string('x', i + 1), i, i % 3 == 0 ? null : i, i * 10);
        int[] keep = [0, 1, 3, 4, 5, 8, 11];
        batch.KeepRows(keep);
        Assert.Equal(keep.Length, batch.Count);
        for (int k = 0; k < keep.Length; k++)
        {
            int i = keep[k];
            Assert.Equal(i + 1, batch.GetBytes(0, k).Length);
            Assert.Equal(i % 3 != 0, batch.IsValid(2, k));
            if (i % 3 != 0) Assert.Equal((double)i, batch.DoubleValues(2)[k]);
            Assert.Equal(i * 10L, batch.RowStarts[k]);
        }
        // The freed rows are null again for the next writer.
        AddRow(batch, "new", 99, null, 0);
        Assert.False(batch.IsValid(2, keep.Length));
        Assert.Equal("new"u8.ToArray(), batch.GetBytes(0, keep.Length).ToArray());
    }

    [Fact]
    public void Strings_longer_than_the_initial_buffer_grow_it()
    {
        using var batch = new ColumnBatch(W, 4);
        var big = new string('y', 100_000);
        AddRow(batch, big, 1, 1, 0);
        AddRow(batch, "z", 2, 2, 10);
        Assert.Equal(big.Length, batch.GetBytes(0, 0).Length);
        Assert.Equal("z"u8.ToArray(), batch.GetBytes(0, 1).ToArray());
    }

    [Fact]
    public void Strings_of_every_short_length_are_stored_exactly()
    {
        // Each length band has its own store (1-3 bytes, 4-7, 8-16, 17-32, longer): every length, each after a
        // longer neighbour, so a store that writes too little or too far shows.
        using var batch = new ColumnBatch(W, 128);
        var expected = new List<string>();
        for (int length = 0; length <= 40; length++)
        {
            string s = string.Concat(Enumerable.Range(0, length).Select(i => (char)('a' + (i + length) % 26)));
            AddRow(batch, new string('#', 40), 0, null, 0);
            AddRow(batch, s, 0, null, 0);
            expected.Add(new string('#', 40));
            expected.Add(s);
        }
        for (int row = 0; row < expected.Count; row++)
            Assert.Equal(expected[row], System.Text.Encoding.UTF8.GetString(batch.GetBytes(0, row)));
    }

    [Fact]
    public void Pool_bounds_the_batches_in_flight()
    {
        using var pool = new ColumnBatchPool(W, 1024, 2);
        Assert.True(pool.TryRent(out var a));
        Assert.True(pool.TryRent(out var b));
        Assert.False(pool.TryRent(out _));
        pool.Return(a);
        Assert.True(pool.TryRent(out var c));
        Assert.Same(a, c);
        pool.Return(b);
        pool.Return(c);
    }
}
