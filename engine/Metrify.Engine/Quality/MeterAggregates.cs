using System.Runtime.InteropServices;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Quality;

/// <summary>The open interval of one meter at one interval length: what its aggregated readings add up to so far.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct IntervalAggregate
{
    public long Start;
    public double Import, Export;
    /// <summary>NaN until a reading carries the value.</summary>
    public double PeakPower, MinVoltage, MaxVoltage;
    /// <summary>Source position of the newest aggregated reading (names the file the row lands in).</summary>
    public long Position;
    /// <summary>Readings aggregated; 0 = no interval open.</summary>
    public int Count;
    public int Flags;
    /// <summary>Rows already written for this interval (a flush writes an open interval and keeps it open).</summary>
    public int Revision;
}

/// <summary>
/// Per-meter aggregation over 15 minutes, hours and days (UTC), on the readings the series checks let through in
/// each meter's order. A meter's interval is written when its first reading of a later interval arrives; at the end
/// of a file the open ones are written too and kept open, so an interval that gets more readings later is written
/// again with the next <c>revision</c>, complete. Readings flagged <c>Late</c>,
/// <c>DuplicateConflict</c>, <c>FutureTimestamp</c>, <c>SentinelTimestamp</c> or <c>NoMeterClock</c> are not
/// aggregated: they are not the meter's own time line. Not thread-safe: <see cref="SeriesChecks"/> calls it under its lock.
/// </summary>
internal sealed class MeterAggregates(QualityOptions options)
{
    private const int ChunkBits = 16;
    public static readonly long[] Lengths = [15 * 60_000_000L, 3_600_000_000L, 86_400_000_000L];
    private readonly List<IntervalAggregate[]> _chunks = new();
    private readonly double[] _expected = Lengths.Select(l => l / 60_000_000.0 / options.ReadingIntervalMinutes).ToArray();

    public const int Levels = 3;

    /// <summary>The aggregate of meter <paramref name="number"/> at level <paramref name="level"/> (0: 15 min, 1: hour, 2: day).</summary>
    public ref IntervalAggregate At(int number, int level) => ref Of(number)[level];

    /// <summary>The three aggregates of a meter (a chunk holds a whole number of meters, so they sit side by side).</summary>
    private Span<IntervalAggregate> Of(int number)
    {
        int chunk = number / MetersPerChunk;
        while (chunk >= _chunks.Count) _chunks.Add(new IntervalAggregate[MetersPerChunk * Levels]);
        return _chunks[chunk].AsSpan((number - chunk * MetersPerChunk) * Levels, Levels);
    }

    private const int MetersPerChunk = 1 << (ChunkBits - 2);

    public long AllocatedBytes => (long)_chunks.Count * MetersPerChunk * Levels * Marshal.SizeOf<IntervalAggregate>();

    /// <summary>Adds one reading to the meter's three intervals, writing each interval the reading leaves behind.</summary>
    public void Add(int number, SeriesStates keys, long micros, double import, double export, double power,
        double minVoltage, double maxVoltage, int flags, long position, AggregateOutput? output)
    {
        var aggregates = Of(number);
        for (int level = 0; level < Levels; level++)
        {
            ref var a = ref aggregates[level];
            long length = Lengths[level];
            // Most readings fall in the meter's open interval: no division for them.
            if (a.Count > 0 && (ulong)(micros - a.Start) >= (ulong)length)
            {
                a.Position = position; // the row lands with the reading that closed it, inside this input's range
                if (output is not null) Write(output, level, keys.KeyOf(number), a);
                a = default;
            }
            if (a.Count == 0)
            {
                a.Start = IntervalStart(micros, length);
                a.PeakPower = a.MinVoltage = a.MaxVoltage = double.NaN;
            }
            a.Import += import;
            a.Export += export;
            if (!double.IsNaN(power) && !(power <= a.PeakPower)) a.PeakPower = power;
            if (!double.IsNaN(minVoltage) && !(minVoltage >= a.MinVoltage)) a.MinVoltage = minVoltage;
            if (!double.IsNaN(maxVoltage) && !(maxVoltage <= a.MaxVoltage)) a.MaxVoltage = maxVoltage;
            a.Count++;
            a.Flags |= flags;
            a.Position = position;
        }
    }

    /// <summary>Writes every open interval of the given meters and keeps it open for more readings.</summary>
    public int Flush(List<int> numbers, SeriesStates keys, AggregateOutput output)
    {
        int written = 0;
        foreach (int number in numbers)
            for (int level = 0; level < Levels; level++)
            {
                ref var a = ref At(number, level);
                if (a.Count == 0) continue;
                Write(output, level, keys.KeyOf(number), a);
                a.Revision++;
                written++;
            }
        return written;
    }

    /// <summary>The start of the interval of <paramref name="length"/> holding <paramref name="micros"/> (UTC, also
    /// before 1970).</summary>
    public static long IntervalStart(long micros, long length) => micros - ((micros % length) + length) % length;

    /// <summary>Writes one row of an aggregate table.</summary>
    private void Write(AggregateOutput output, int level, ReadOnlySpan<byte> meter, in IntervalAggregate a)
    {
        var table = Tables.MeterAggregates[level];
        var batch = output.Row(table, a.Start);
        double hours = Lengths[level] / 3_600_000_000.0;
        int c = 0; // in the order of Tables.MeterAggregate
        batch.SetBytes(c++, meter);
        batch.SetInt64(c++, a.Start);
        batch.SetInt64(c++, a.Start + Lengths[level]);
        batch.SetDouble(c++, a.Import);
        batch.SetDouble(c++, a.Export);
        batch.SetDouble(c++, a.Import / hours);
        SetOrNull(batch, c++, a.PeakPower);
        SetOrNull(batch, c++, a.MinVoltage);
        SetOrNull(batch, c++, a.MaxVoltage);
        batch.SetDouble(c++, Math.Min(1, a.Count / _expected[level]));
        batch.SetInt32(c++, a.Count);
        batch.SetInt32(c++, a.Flags);
        batch.SetInt32(c, a.Revision + 1);
        batch.CommitRow(a.Position, a.Position + 1);
        output.Written(table);
    }

    private static void SetOrNull(ColumnBatch batch, int column, double value)
    {
        if (double.IsNaN(value)) batch.SetNull(column); else batch.SetDouble(column, value);
    }
}

