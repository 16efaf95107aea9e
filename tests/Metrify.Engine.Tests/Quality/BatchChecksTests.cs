using Metrify.Engine.Columnar;
using Metrify.Engine.Quality;

namespace Metrify.Engine.Tests.Quality;

public class BatchChecksTests
{
    private const long Now = 1_800_000_000_000_000;
    private static readonly int Voltage = Tables.Readings.IndexOf("voltage_v"), Pf = Tables.Readings.IndexOf("power_factor"),
        Time = Tables.Readings.PartitionColumnIndex, Flags = Tables.Readings.QualityFlagsIndex, Meter = Tables.Readings.IndexOf("meter_id");

    private static ColumnBatch Readings(params (double? Voltage, double? Pf, long Time)[] rows)
    {
        var b = new ColumnBatch(Tables.Readings, 64);
        foreach (var (voltage, pf, time) in rows)
        {
            b.SetBytes(Meter, "M"u8);
            b.SetInt64(Time, time);
            if (voltage is { } v) b.SetDouble(Voltage, v);
            if (pf is { } p) b.SetDouble(Pf, p);
            b.CommitRow(0, 0);
        }
        b.FillUnwrittenOffsets(Enumerable.Range(0, Tables.Readings.Columns.Count).Select(c => c == Meter).ToArray());
        return b;
    }

    [Fact]
    public void Ranges_flag_values_outside_and_nan_but_never_nulls()
    {
        // More rows than one vector, with the bad ones at every lane and in the scalar tail.
        var rows = new List<(double?, double?, long)>();
        for (int i = 0; i < 23; i++) rows.Add((i % 5 == 0 ? 300 : 230, 0.9, Now));
        rows[7] = (double.NaN, 0.9, Now);
        rows[8] = (null, null, Now);
        rows[9] = (253, 1.0, Now);   // on the bound: in range
        rows[10] = (206.9, -0.01, Now);
        using var batch = Readings(rows.ToArray());
        new BatchChecks(Tables.Readings, new QualityOptions(), Now).Apply(batch);
        var flags = batch.Int32Values(Flags);
        for (int i = 0; i < rows.Count; i++)
        {
            bool expected = i % 5 == 0 || i is 7 or 10;
            Assert.True(expected == ((flags[i] & (int)QualityFlags.OutOfRange) != 0), $"row {i}: flags {flags[i]}");
        }
    }

    [Fact]
    public void Future_timestamps_beyond_the_skew()
    {
        var options = new QualityOptions { FutureSkewSeconds = 60 };
        using var batch = Readings((230, 1, Now), (230, 1, Now + 60_000_000), (230, 1, Now + 60_000_001), (230, 1, Now + 3652L * 86_400_000_000));
        new BatchChecks(Tables.Readings, options, Now).Apply(batch);
        Assert.Equal([0, 0, (int)QualityFlags.FutureTimestamp, (int)QualityFlags.FutureTimestamp], batch.Int32Values(Flags).ToArray());
    }

    [Fact]
    public void Configured_ranges_replace_the_defaults_and_bad_ones_name_the_setting()
    {
        var options = new QualityOptions();
        options.Ranges["voltage_v"] = new ValueRange(225, 235);
        using var batch = Readings((230, 1, Now), (236, 1, Now));
        new BatchChecks(Tables.Readings, options, Now).Apply(batch);
        Assert.Equal([0, (int)QualityFlags.OutOfRange], batch.Int32Values(Flags).ToArray());

        var bad = new QualityOptions();
        bad.Ranges["no_such_column"] = new ValueRange(0, 1);
        bad.Ranges["humidity_percent"] = new ValueRange(10, 5);
        var problems = bad.Validate().ToList();
        Assert.Contains(problems, p => p.StartsWith("Quality:Ranges:no_such_column", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Quality:Ranges:humidity_percent", StringComparison.Ordinal));
    }

    [Fact]
    public void Grid_load_above_the_operators_capacity()
    {
        var t = Tables.GridStatus;
        using var b = new ColumnBatch(t, 8);
        foreach (var (load, capacity) in new[] { (20_000.0, 30_000.0), (31_000.0, 30_000.0) })
        {
            b.SetBytes(0, "TENNET"u8);
            b.SetInt64(t.PartitionColumnIndex, Now);
            b.SetDouble(t.IndexOf("grid_load_mw"), load);
            b.SetDouble(t.IndexOf("grid_capacity_mw"), capacity);
            b.SetDouble(t.IndexOf("grid_frequency_hz"), 50);
            b.CommitRow(0, 0);
        }
        new BatchChecks(t, new QualityOptions(), Now).Apply(b);
        Assert.Equal([0, (int)QualityFlags.OutOfRange], b.Int32Values(t.QualityFlagsIndex).ToArray());
    }
}
