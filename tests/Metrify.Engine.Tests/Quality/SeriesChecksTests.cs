using Metrify.Engine.Columnar;
using Metrify.Engine.Quality;

namespace Metrify.Engine.Tests.Quality;

public class SeriesChecksTests
{
    private const long T0 = 1_767_571_200_000_000; // 2026-01-05T00:00Z
    private const long Quarter = 15 * 60 * 1_000_000L;
    private static readonly TableSpec R = Tables.Readings;
    private static readonly int Meter = R.IndexOf("meter_id"), Time = R.PartitionColumnIndex, Flags = R.QualityFlagsIndex,
        Consumption = R.IndexOf("consumption_kwh"), ImportT1 = R.IndexOf("import_t1_kwh"), Voltage = R.IndexOf("voltage_v");

    private sealed record Row(string Meter, long Time, double? Kwh = null, double? Register = null, double Voltage = 230, int Flags = 0);

    private static ColumnBatch Batch(params Row[] rows)
    {
        var b = new ColumnBatch(R, 256);
        foreach (var row in rows)
        {
            b.SetBytes(Meter, System.Text.Encoding.ASCII.GetBytes(row.Meter));
            b.SetInt64(Time, row.Time);
            if (row.Kwh is { } k) b.SetDouble(Consumption, k); else b.SetNull(Consumption);
            if (row.Register is { } g) b.SetDouble(ImportT1, g); else b.SetNull(ImportT1);
            b.SetDouble(Voltage, row.Voltage);
            b.SetInt32(Flags, row.Flags);
            b.CommitRow(0, 0);
        }
        b.FillUnwrittenOffsets(Enumerable.Range(0, R.Columns.Count).Select(c => c == Meter).ToArray());
        return b;
    }

    private static SeriesChecks Checks() => SeriesChecks.For(R, new QualityOptions())!;

    private static QualityFlags[] FlagsOf(ColumnBatch b) => b.Int32Values(Flags).ToArray().Select(f => (QualityFlags)f).ToArray();

    [Fact]
    public void Identical_repeats_are_dropped_and_conflicting_ones_flagged()
    {
        var checks = Checks();
        using var b = Batch(new("A", T0, 0.1), new("A", T0, 0.1), new("B", T0, 0.2), new("A", T0, 0.3), new("A", T0 + Quarter, 0.1), new("B", T0, 0.2));
        var quality = checks.Apply(b);
        Assert.Equal(2, quality.Dropped);
        Assert.Equal((4, 3, 0L), (quality.Rows, quality.Clean, quality.Missing));
        Assert.Equal(4, b.Count);
        Assert.Equal([0.1, 0.2, 0.3, 0.1], b.DoubleValues(Consumption).ToArray());
        Assert.Equal([QualityFlags.None, QualityFlags.None, QualityFlags.DuplicateConflict, QualityFlags.None], FlagsOf(b));
        Assert.Equal("B", System.Text.Encoding.ASCII.GetString(b.GetBytes(Meter, 1)));
    }

    [Fact]
    public void Gaps_follow_the_meters_cadence_count_the_missing_intervals_and_late_rows_leave_the_state_alone()
    {
        var checks = Checks();
        // 15-minute meter: a missing quarter is a gap; a row older than the newest is late.
        using var b = Batch(new("A", T0, 0.1), new("A", T0 + Quarter, 0.1), new("A", T0 + 3 * Quarter, 0.1),
            new("A", T0 + 2 * Quarter, 0.1), new("A", T0 + 4 * Quarter, 0.1));
        var quality = checks.Apply(b);
        Assert.Equal([QualityFlags.None, QualityFlags.None, QualityFlags.GapBefore, QualityFlags.Late, QualityFlags.None], FlagsOf(b));
        // The score: 3 clean rows of 5, and the missing quarter costs one more: 3 / 6.
        Assert.Equal((5, 3, 1L, 0.5), (quality.Rows, quality.Clean, quality.Missing, quality.Score));

        // A one-minute meter teaches its cadence with two equal steps; then a two-minute step is a gap.
        long minute = 60_000_000;
        using var c = Batch(new("M", T0), new("M", T0 + minute), new("M", T0 + 2 * minute), new("M", T0 + 4 * minute));
        checks.Apply(c);
        Assert.Equal(QualityFlags.GapBefore, FlagsOf(c)[3]);

        // Three gaps of the same length in a row are three gaps, not a new cadence.
        using var d = Batch(new("G", T0), new("G", T0 + Quarter), new("G", T0 + 3 * Quarter), new("G", T0 + 5 * Quarter), new("G", T0 + 7 * Quarter));
        quality = checks.Apply(d);
        Assert.Equal([QualityFlags.None, QualityFlags.None, QualityFlags.GapBefore, QualityFlags.GapBefore, QualityFlags.GapBefore], FlagsOf(d));
        Assert.Equal((2, 3L, 0.25), (quality.Clean, quality.Missing, quality.Score));
    }

    [Fact]
    public void Every_quality_flag_fits_the_16_bits_an_aggregate_interval_keeps()
    {
        foreach (var flag in Enum.GetValues<QualityFlags>()) Assert.InRange((long)flag, 0, ushort.MaxValue);
    }

    [Fact]
    public void The_peak_envelope_rounds_as_Half_does()
    {
        var state = new SeriesState();
        var r = new Random(5);
        for (int i = 0; i < 100_000; i++)
        {
            float v = (float)Math.Exp(r.NextDouble() * 20 - 9); // 1.2e-4 to 6e4: the normal range of a half
            state.Envelope = v;
            Assert.Equal((float)(Half)v, state.Envelope);
        }
        state.Envelope = 1e9f;
        Assert.Equal((float)Half.MaxValue, state.Envelope);
        state.Envelope = 0;
        Assert.Equal(0f, state.Envelope);
    }

    [Fact]
    public void A_register_reset_flags_one_row_and_not_the_ones_after()
    {
        var checks = Checks();
        using var b = Batch(new("A", T0, Register: 1000), new("A", T0 + Quarter, Register: 1000.2), new("A", T0 + 2 * Quarter, Register: 0.1),
            new("A", T0 + 3 * Quarter, Register: 0.3), new("A", T0 + 4 * Quarter, Register: 0.5));
        checks.Apply(b);
        Assert.Equal([QualityFlags.None, QualityFlags.None, QualityFlags.RegisterDecrease, QualityFlags.None, QualityFlags.None], FlagsOf(b));
    }

    [Fact]
    public void A_spike_is_flagged_against_the_meters_own_level_and_kept_out_of_it()
    {
        var checks = Checks();
        var rows = Enumerable.Range(0, 40).Select(i => new Row("A", T0 + i * Quarter, 0.1 + 0.02 * (i % 3))).ToArray();
        rows[20] = rows[20] with { Kwh = 3.0 };
        rows[21] = rows[21] with { Kwh = 2.9 }; // still a spike: the first one did not raise the meter's level
        using var b = Batch(rows);
        checks.Apply(b);
        var flags = FlagsOf(b);
        Assert.Equal([20, 21], Enumerable.Range(0, 40).Where(i => flags[i] == QualityFlags.Spike));
        // Another meter with a higher level is judged against its own.
        using var c = Batch(Enumerable.Range(0, 40).Select(i => new Row("B", T0 + i * Quarter, 2.5 + 0.3 * (i % 3))).ToArray());
        checks.Apply(c);
        Assert.All(FlagsOf(c), f => Assert.Equal(QualityFlags.None, f));
    }

    /// <summary>Aggregate rows written for one batch, per aggregate table, into a lake of its own.</summary>
    private static Dictionary<string, long> AggregateRows(SeriesChecks checks, ColumnBatch batch, SeriesJournal? journal = null)
    {
        var lake = new Metrify.Engine.Lake.LakeOptions { Root = Directory.CreateTempSubdirectory("metrify-late-").FullName, Durable = false };
        var pools = new Dictionary<TableSpec, ColumnBatchPool>();
        ColumnBatchPool PoolOf(TableSpec t) => pools.TryGetValue(t, out var p) ? p : pools[t] = new ColumnBatchPool(t, 1024, 8);
        using var output = new AggregateOutput(t => new Metrify.Engine.Lake.PartitionedWriter(t, PoolOf(t), lake, "t", 1), PoolOf);
        checks.Apply(batch, journal, output);
        return output.Complete().GroupBy(f => f.Table).ToDictionary(g => g.Key, g => g.Sum(f => f.Rows));
    }

    [Fact]
    public void A_late_reading_corrects_its_intervals_once_and_again_after_its_journal_is_undone()
    {
        var checks = Checks();
        // An hour and a half of one meter without its 00:15 reading: the 00:00 and 00:30 quarters and the first
        // hour were written as they closed.
        using (var first = Batch(new("A", T0, 0.1), new("A", T0 + 2 * Quarter, 0.1), new("A", T0 + 3 * Quarter, 0.1),
            new("A", T0 + 4 * Quarter, 0.1), new("A", T0 + 5 * Quarter, 0.1)))
            Assert.Equal(4, AggregateRows(checks, first)["readings_15min"]);

        // The 00:15 reading, 60 minutes late: its quarter gets its first row, its hour a corrected one; the day is open.
        var journal = new SeriesJournal();
        using (var late = Batch(new Row("A", T0 + Quarter, 0.1)))
        {
            var rows = AggregateRows(checks, late, journal);
            Assert.Equal(1, rows["readings_15min"]);
            Assert.Equal(1, rows["readings_hourly"]);
            Assert.False(rows.ContainsKey("readings_daily"));
        }
        // Not published: undone. The same reading again is late again, not a resend of itself.
        journal.Undo();
        using (var again = Batch(new Row("A", T0 + Quarter, 0.1)))
            Assert.Equal(1, AggregateRows(checks, again)["readings_15min"]);
        // Now it is counted: once more is a resend, and nothing is written.
        using (var resend = Batch(new Row("A", T0 + Quarter, 0.1)))
            Assert.Empty(AggregateRows(checks, resend));
    }

    /// <summary>Aggregate rows are made after a batch's rows are checked; when making them fails, the rows belong to
    /// the failed input and must not turn up in the next one's files.</summary>
    [Fact]
    public void Aggregate_rows_of_a_batch_that_failed_are_not_written_with_the_next_one()
    {
        var checks = Checks();
        var lake = new Metrify.Engine.Lake.LakeOptions { Root = Directory.CreateTempSubdirectory("metrify-fail-").FullName, Durable = false };
        using (var broken = new AggregateOutput(t => new Metrify.Engine.Lake.PartitionedWriter(t, null!, lake, "t", 1),
            _ => throw new IOException("disk full")))
        // A's second reading closes its quarter and its hour: making the quarter's row fails, the hour's is left queued.
        using (var closing = Batch(new("A", T0, 0.1), new("A", T0 + 4 * Quarter, 0.1)))
            Assert.Throws<IOException>(() => checks.Apply(closing, null, broken));
        // Meter B's first reading closes nothing: no aggregate row at all.
        using (var next = Batch(new Row("B", T0, 0.1)))
            Assert.Empty(AggregateRows(checks, next));
    }

    [Fact]
    public void Rows_without_the_meters_own_time_pass_by_and_an_undone_journal_forgets_a_batch()
    {
        var checks = Checks();
        using var b = Batch(new("A", T0, 0.1), new("A", T0 + 1000 * Quarter, 0.1, Flags: (int)QualityFlags.FutureTimestamp), new("A", T0 + Quarter, 0.1));
        checks.Apply(b);
        Assert.Equal([QualityFlags.None, QualityFlags.FutureTimestamp, QualityFlags.None], FlagsOf(b));

        var journal = new SeriesJournal();
        using (var once = Batch(new("A", T0 + 2 * Quarter, 0.1), new("N", T0, 0.1))) checks.Apply(once, journal);
        journal.Undo();
        // The same rows again are new, not duplicates of themselves.
        using var again = Batch(new("A", T0 + 2 * Quarter, 0.1), new("N", T0, 0.1));
        Assert.Equal(0, checks.Apply(again).Dropped);
        Assert.Equal([QualityFlags.None, QualityFlags.None], FlagsOf(again));
    }

    [Fact]
    public void Ten_million_meters_fit_in_a_gibibyte()
    {
        var states = new SeriesStates();
        Span<byte> id = stackalloc byte[14];
        "SM"u8.CopyTo(id);
        for (int i = 0; i < 10_000_000; i++)
        {
            i.TryFormat(id[2..], out _, "D12");
            states.GetOrAdd(id);
        }
        Assert.Equal(10_000_000, states.Count);
        "SM000000123456"u8.CopyTo(id);
        Assert.Equal(123456, states.GetOrAdd(id)); // found, not added
        Assert.Equal(10_000_000, states.Count);
        Assert.InRange(states.AllocatedBytes, 500L << 20, 1L << 30);
    }
}
