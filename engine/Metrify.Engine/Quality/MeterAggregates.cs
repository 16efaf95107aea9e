using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Quality;

/// <summary>The open interval of one meter at one interval length: what its aggregated readings add up to so far.
/// One cache line: meters interleave in the input, so each reading's update is a cache miss per interval touched.</summary>
[StructLayout(LayoutKind.Sequential, Size = 64)]
public struct IntervalAggregate
{
    public long Start;
    public double Import, Export;
    /// <summary>-∞ (+∞ for the minimum) until a reading carries the value: written as null.</summary>
    public double PeakPower, MinVoltage, MaxVoltage;
    /// <summary>Which 64ths of the interval hold an aggregated reading (kept for the 15 minutes, where a late
    /// reading is told from a resend: a 64th is 14 seconds).</summary>
    public ulong Seen;
    /// <summary>Readings aggregated; 0 = no interval open.</summary>
    public int Count;
    public ushort Flags;
    /// <summary>Rows already written for this interval (a flush writes an open interval and keeps it open); stops
    /// at 65535.</summary>
    public ushort Revision;

    /// <summary>The bit of <see cref="Seen"/> an instant falls in, for an interval of 64 × <paramref name="sixtyFourth"/>
    /// (pass a constant: the division then compiles to a multiplication, once per reading).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SeenBit(long micros, long start, long sixtyFourth) => 1UL << (int)((micros - start) / sixtyFourth);

    /// <summary>A 64th of a quarter hour: 14.0625 s.</summary>
    public const long QuarterSixtyFourth = 15 * 60_000_000L / 64;

    /// <summary>Counts one more row written for the interval.</summary>
    public void Written() => Revision = (ushort)Math.Min(Revision + 1, ushort.MaxValue);
}

/// <summary>
/// Per-meter aggregation over 15 minutes, hours and days (UTC), on the readings the series checks let through in
/// each meter's order. A meter's interval is written when its first reading of a later interval arrives; at the end
/// of a file the open ones are written too and kept open, so an interval that gets more readings later is written
/// again with the next <c>revision</c>, complete. The closed intervals of the last <c>Quality:LateGraceMinutes</c>
/// are kept, so a late reading within that allowance corrects its intervals (<see cref="AddLate"/>). Readings flagged
/// <c>DuplicateConflict</c>, <c>FutureTimestamp</c>, <c>SentinelTimestamp</c> or <c>NoMeterClock</c>, and late ones
/// beyond the allowance, are not aggregated: they are not the meter's own time line. Not thread-safe:
/// <see cref="SeriesChecks"/> calls it under its lock.
/// </summary>
internal sealed class MeterAggregates
{
    private const long Quarter = 15 * 60_000_000L, Hour = 3_600_000_000L, Day = 86_400_000_000L;
    public static readonly long[] Lengths = [Quarter, Hour, Day];
    private readonly List<byte[]> _chunks = new(); // pinned arrays, held here so they stay alive
    private nint[] _bases = []; // each chunk's first 64-byte boundary: a meter's intervals are found by pointer
    private int _chunkCount;
    private readonly double[] _expected;
    private readonly long _graceMicros;
    // Per level: how many closed intervals a late reading within the allowance can reach (ceil(grace / length)),
    // kept in slots by interval number modulo that count, so the slot of an interval is known without a search.
    private readonly int[] _heldSlots = new int[Levels], _heldAt = new int[Levels];
    private readonly int _block; // a meter's open intervals, then its held ones

    public const int Levels = 3;
    private const int ChunkBytes = 1 << 22;

    public MeterAggregates(QualityOptions options)
    {
        _expected = Lengths.Select(l => l / 60_000_000.0 / options.ReadingIntervalMinutes).ToArray();
        _graceMicros = options.LateGraceMinutes * 60_000_000L;
        _block = Levels;
        for (int level = 0; level < Levels; level++)
        {
            _heldSlots[level] = HeldSlots(_graceMicros, Lengths[level]);
            _heldAt[level] = _block;
            _block += _heldSlots[level];
        }
        _chunkShift = System.Numerics.BitOperations.Log2((uint)Math.Max(1, ChunkBytes / (_block * 64)));
    }

    /// <summary>Slots for the closed intervals of <paramref name="length"/> a late reading within the allowance can
    /// reach: ceil(grace / length), rounded up to a power of two so an interval's slot is its number's low bits.</summary>
    internal static int HeldSlots(long graceMicros, long length)
    {
        long reach = (graceMicros + length - 1) / length;
        return reach == 0 ? 0 : (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)reach);
    }

    private readonly int _chunkShift; // meters per chunk: a power of two, so finding a meter's chunk is a shift
    private int MetersPerChunk => 1 << _chunkShift;

    /// <summary>A meter's open and held intervals, side by side (what a journal saves and restores).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe Span<IntervalAggregate> Of(int number)
    {
        int chunk = number >> _chunkShift;
        if (chunk >= _chunkCount) AddChunks(chunk);
        return new Span<IntervalAggregate>((IntervalAggregate*)_bases[chunk] + (number & (MetersPerChunk - 1)) * _block, _block);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private unsafe void AddChunks(int upTo)
    {
        while (_chunkCount <= upTo)
        {
            var bytes = GC.AllocateArray<byte>(MetersPerChunk * _block * 64 + 64, pinned: true);
            _chunks.Add(bytes);
            if (_chunkCount == _bases.Length) Array.Resize(ref _bases, Math.Max(4, _bases.Length * 2));
            fixed (byte* at = bytes) _bases[_chunkCount++] = (nint)at + (nint)((64 - (nint)at % 64) % 64); // pinned: the address holds
        }
    }

    public long AllocatedBytes => (long)_chunkCount * (MetersPerChunk * _block * 64 + 64);

    /// <summary>Open and held intervals per meter (64 bytes each).</summary>
    public int IntervalsPerMeter => _block;

    /// <summary>Adds one reading to the meter's open quarter hour. A reading past it closes it: the quarter is written
    /// and folded into its hour, and the hour (then the day) too when the reading is past it as well. So a reading
    /// updates one interval, not three, and a meter sending every second pays for its hours and days once a quarter.</summary>
    public void Add(int number, SeriesStates keys, long micros, double import, double export, double power,
        double minVoltage, double maxVoltage, int flags, long position, AggregateOutput? output)
    {
        var block = Of(number);
        ref var quarter = ref block[0];
        if (quarter.Count == 0) Open(ref quarter, IntervalStart(micros, Quarter));
        else if ((ulong)(micros - quarter.Start) >= (ulong)Quarter) Close(block, number, micros, position, output);
        Accumulate(ref quarter, import, export, power, minVoltage, maxVoltage, flags);
        quarter.Seen |= IntervalAggregate.SeenBit(micros, quarter.Start, IntervalAggregate.QuarterSixtyFourth);
    }

    /// <summary>Closes the open quarter for a reading past it (and its hour and day when the reading is past them),
    /// and opens the reading's quarter. Each closed interval is folded into the one above before it is retired, so
    /// nothing is copied aside.</summary>
    private void Close(Span<IntervalAggregate> block, int number, long micros, long position, AggregateOutput? output)
    {
        ref var quarter = ref block[0];
        ref var hour = ref block[1];
        if (hour.Count == 0) Open(ref hour, IntervalStart(quarter.Start, Hour)); // keeps a revision a flush wrote
        Fold(ref hour, quarter);
        long next = quarter.Start + Quarter;
        Retire(block, 0, number, ref quarter, position, output);
        // Most readings fall in the next quarter: no division for them.
        Open(ref quarter, (ulong)(micros - next) < (ulong)Quarter ? next : IntervalStart(micros, Quarter));
        if ((ulong)(micros - hour.Start) < (ulong)Hour) return;
        ref var day = ref block[2];
        if (day.Count == 0) Open(ref day, IntervalStart(hour.Start, Day));
        Fold(ref day, hour);
        Retire(block, 1, number, ref hour, position, output);
        if ((ulong)(micros - day.Start) < (ulong)Day) return;
        Retire(block, 2, number, ref day, position, output);
    }

    /// <summary>Writes a complete interval (its row lands with the reading that closed it, inside this input's
    /// range), keeps it for late readings, and empties its place.</summary>
    private void Retire(Span<IntervalAggregate> block, int level, int number, ref IntervalAggregate a,
        long position, AggregateOutput? output)
    {
        if (output is not null) Emit(level, number, a, position);
        if (_heldSlots[level] > 0)
        {
            ref var held = ref block[HeldSlot(level, a.Start)];
            held = a;
            held.Written(); // the row just written
        }
        a = default;
    }

    /// <summary>
    /// Adds a late reading (older than the meter's newest, <paramref name="newest"/>) to its intervals when it is at
    /// most <c>Quality:LateGraceMinutes</c> behind and no reading was aggregated in its 64th of the quarter hour
    /// (14 seconds). The intervals still in progress (the open quarter's, its hour's, its day's) take it and carry it
    /// up when they close; a closed one is written again at once, corrected, with the next revision (or first
    /// written, if no reading had reached it), and the level above takes the reading as well, since the closed
    /// interval was folded into it already. Returns false, changing nothing, for a reading beyond the allowance or in
    /// a 64th already taken: that is a resend, and counting it would count its energy twice.
    /// </summary>
    public bool AddLate(int number, SeriesStates keys, long micros, long newest, double import, double export,
        double power, double minVoltage, double maxVoltage, int flags, long position, AggregateOutput? output)
    {
        if (_graceMicros == 0 || micros < newest - _graceMicros) return false;
        var aggregates = Of(number);
        long quarter = IntervalStart(micros, Quarter);
        ref var open15 = ref aggregates[0];
        ref var held15 = ref aggregates[HeldSlot(0, quarter)];
        ulong seen = open15.Count > 0 && open15.Start == quarter ? open15.Seen : held15.Count > 0 && held15.Start == quarter ? held15.Seen : 0;
        ulong bit = IntervalAggregate.SeenBit(micros, quarter, IntervalAggregate.QuarterSixtyFourth);
        if ((seen & bit) != 0) return false;
        for (int level = 0; level < Levels; level++)
        {
            long length = Lengths[level], start = IntervalStart(micros, length);
            ref var open = ref aggregates[level];
            if (open15.Count > 0 && start == IntervalStart(open15.Start, length))
            {
                if (open.Count == 0) Open(ref open, start); // an hour or day no quarter was folded into yet
                Accumulate(ref open, import, export, power, minVoltage, maxVoltage, flags);
                if (level == 0) open.Seen |= bit;
                break;
            }
            // The slot holds this interval, or an older one: then no reading had reached this one (the allowance
            // reaches back at most as many intervals as there are slots, so a newer one cannot be there).
            ref var held = ref aggregates[HeldSlot(level, start)];
            if (held.Count == 0 || held.Start != start)
            {
                held = default;
                Open(ref held, start);
            }
            Accumulate(ref held, import, export, power, minVoltage, maxVoltage, flags);
            if (level == 0) held.Seen |= bit;
            if (output is not null) Emit(level, number, held, position);
            held.Written();
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int HeldSlot(int level, long start)
    {
        // Starts are whole intervals, also before 1970 (exact division); a constant divisor per level is a multiply.
        long index = level switch { 0 => start / Quarter, 1 => start / Hour, _ => start / Day };
        return _heldAt[level] + (int)(index & (_heldSlots[level] - 1)); // two's complement: right for negatives too
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Open(ref IntervalAggregate a, long start)
    {
        a.Start = start;
        a.PeakPower = a.MaxVoltage = double.NegativeInfinity; // none yet: any value compares above (a NaN never does)
        a.MinVoltage = double.PositiveInfinity;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(ref IntervalAggregate a, double import, double export, double power, double minVoltage,
        double maxVoltage, int flags)
    {
        a.Import += import;
        a.Export += export;
        if (power > a.PeakPower) a.PeakPower = power;
        if (minVoltage < a.MinVoltage) a.MinVoltage = minVoltage;
        if (maxVoltage > a.MaxVoltage) a.MaxVoltage = maxVoltage;
        a.Count++;
        a.Flags |= (ushort)flags;
    }

    /// <summary>Adds a closed interval's sums, extremes, count and flags to the interval that holds it.</summary>
    private static void Fold(ref IntervalAggregate into, in IntervalAggregate part)
    {
        into.Import += part.Import;
        into.Export += part.Export;
        if (part.PeakPower > into.PeakPower) into.PeakPower = part.PeakPower;
        if (part.MinVoltage < into.MinVoltage) into.MinVoltage = part.MinVoltage;
        if (part.MaxVoltage > into.MaxVoltage) into.MaxVoltage = part.MaxVoltage;
        into.Count += part.Count;
        into.Flags |= part.Flags;
    }

    /// <summary>Writes every open interval of the given meters and keeps it open for more readings; the rows carry
    /// <paramref name="position"/> (the end of the input) as their place in the source.</summary>
    public int Flush(List<int> numbers, SeriesStates keys, AggregateOutput output, long position)
    {
        DiscardPending();
        int written = 0;
        foreach (int number in numbers)
        {
            var block = Of(number);
            ref var quarter = ref block[0];
            if (quarter.Count == 0) continue;
            // Each level's row holds what is folded into it so far and the open level below it.
            var upTo = quarter;
            for (int level = 0; level < Levels; level++)
            {
                ref var a = ref block[level];
                if (level > 0)
                {
                    if (a.Count == 0) Open(ref a, IntervalStart(quarter.Start, Lengths[level])); // keeps its revision
                    var whole = a;
                    Fold(ref whole, upTo);
                    upTo = whole;
                }
                Emit(level, number, upTo, position);
                a.Written();
                written++;
            }
        }
        WritePending(keys, output);
        return written;
    }

    /// <summary>The start of the interval of <paramref name="length"/> holding <paramref name="micros"/> (UTC, also
    /// before 1970).</summary>
    public static long IntervalStart(long micros, long length) => micros - ((micros % length) + length) % length;

    /// <summary>An interval written but not yet made a row: rows are made in bulk, per batch of readings.</summary>
    private struct PendingRow
    {
        public IntervalAggregate Interval;
        public long Position;
        public int Number;
    }

    private readonly PendingRow[][] _pending = [new PendingRow[1024], new PendingRow[1024], new PendingRow[1024]];
    private readonly int[] _pendingCount = new int[Levels];

    /// <summary>Queues a row of interval <paramref name="a"/> as it is now (its revision included).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Emit(int level, int number, in IntervalAggregate a, long position)
    {
        ref var rows = ref _pending[level];
        int n = _pendingCount[level]++;
        if (n == rows.Length) Array.Resize(ref rows, n * 2);
        ref var row = ref rows[n];
        row.Interval = a;
        row.Position = position;
        row.Number = number;
    }

    /// <summary>Forgets rows queued by a call that failed before it wrote them (they belong to the failed input).</summary>
    public void DiscardPending() => Array.Clear(_pendingCount);

    /// <summary>Makes the queued rows, column by column, in the batches of <paramref name="output"/>.
    /// <see cref="SeriesChecks"/> calls it after each batch of readings, so no row waits past its batch.</summary>
    public void WritePending(SeriesStates keys, AggregateOutput output)
    {
        for (int level = 0; level < Levels; level++)
        {
            var rows = _pending[level].AsSpan(0, _pendingCount[level]);
            _pendingCount[level] = 0;
            var table = Tables.MeterAggregates[level];
            long length = Lengths[level];
            double hours = length / 3_600_000_000.0, expected = _expected[level];
            while (!rows.IsEmpty)
            {
                var batch = output.Rows(table, rows[0].Interval.Start, out long from, out long to);
                int n = 1, room = Math.Min(Math.Min(rows.Length, batch.Room), MaxFill);
                while (n < room && rows[n].Interval.Start >= from && rows[n].Interval.Start < to) n++;
                Fill(batch, rows[..n], keys, length, hours, expected);
                output.Appended(table);
                rows = rows[n..];
            }
        }
    }

    /// <summary>Rows made per <see cref="Fill"/>: their positions sit on the stack.</summary>
    private const int MaxFill = 1024;

    [SkipLocalsInit]
    private static void Fill(ColumnBatch batch, ReadOnlySpan<PendingRow> rows, SeriesStates keys, long length, double hours, double expected)
    {
        int n = rows.Length, c = 1; // column 0 (the meter) is stored row by row below
        // Columns in the order of Tables.MeterAggregate.
        var start = batch.NextValues<long>(c++, n);
        var end = batch.NextValues<long>(c++, n);
        var import = batch.NextValues<double>(c++, n);
        var export = batch.NextValues<double>(c++, n);
        var mean = batch.NextValues<double>(c++, n);
        int peakColumn = c, minColumn = c + 1, maxColumn = c + 2; // null where no reading carried the value
        var peak = batch.NextValues<double>(c++, n);
        var minV = batch.NextValues<double>(c++, n);
        var maxV = batch.NextValues<double>(c++, n);
        var completeness = batch.NextValues<double>(c++, n);
        var count = batch.NextValues<int>(c++, n);
        var flags = batch.NextValues<int>(c++, n);
        var revision = batch.NextValues<int>(c, n);
        Span<long> positions = stackalloc long[n];
        for (int i = 0; i < n; i++)
        {
            ref readonly var a = ref rows[i].Interval;
            batch.SetBytesAt(0, batch.Count + i, keys.KeyOf(rows[i].Number));
            start[i] = a.Start;
            end[i] = a.Start + length;
            import[i] = a.Import;
            export[i] = a.Export;
            mean[i] = a.Import / hours;
            // ±∞: no reading carried the value, the row stays null there.
            if (!double.IsInfinity(peak[i] = a.PeakPower)) batch.SetValidAt(peakColumn, i);
            if (!double.IsInfinity(minV[i] = a.MinVoltage)) batch.SetValidAt(minColumn, i);
            if (!double.IsInfinity(maxV[i] = a.MaxVoltage)) batch.SetValidAt(maxColumn, i);
            completeness[i] = Math.Min(1, a.Count / expected);
            count[i] = a.Count;
            flags[i] = a.Flags;
            revision[i] = a.Revision + 1;
            positions[i] = rows[i].Position;
        }
        // Every other column has a value in every row (a no-op for the required ones).
        for (int column = 1; column < batch.Table.Columns.Count; column++)
            if (column < peakColumn || column > maxColumn) batch.SetValid(column, n);
        batch.CommitRows(positions);
    }
}
