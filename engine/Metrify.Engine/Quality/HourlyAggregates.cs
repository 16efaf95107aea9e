using Metrify.Engine.Columnar;

namespace Metrify.Engine.Quality;

/// <summary>
/// Hourly statistics per grid operator or weather station, on the rows the series checks let through in each
/// series' order, written like the meter aggregates: when a series' first row of a later hour arrives, and open at
/// the end of a file (kept open; a later row gives the next revision); a late row within
/// <c>Quality:LateGraceMinutes</c> corrects its hour (<see cref="AddLate"/>). An hour of a series is a run of
/// doubles: start, count, flags, revision, position, the 64ths of the hour that hold a row (two 32-bit halves), then
/// per measure sum, count, min and max (all exact in a double); a series' block holds its open hour, then its closed
/// hours of the allowance in slots by hour number.
/// Not thread-safe: <see cref="SeriesChecks"/> calls it under its lock.
/// </summary>
internal sealed class HourlyAggregates
{
    private const long Hour = 3_600_000_000L;
    private const int Header = 7, PerMeasure = 4;
    private readonly TableSpec _target;
    private readonly int[] _measures;
    private readonly bool _minMax;
    private readonly int _stride;
    private readonly List<double[]> _chunks = new();
    private const int PerChunk = 4096;

    private readonly long _graceMicros;
    private readonly int _heldSlots; // closed hours a late row within the allowance can reach: a power of two
    private readonly int _block;     // doubles per series: the open hour, then the held ones

    private HourlyAggregates(TableSpec source, TableSpec target, string[] measures, bool minMax, QualityOptions options)
    {
        _target = target;
        _measures = measures.Select(source.IndexOf).ToArray();
        _minMax = minMax;
        _stride = Header + PerMeasure * _measures.Length;
        _graceMicros = options.LateGraceMinutes * 60_000_000L;
        _heldSlots = MeterAggregates.HeldSlots(_graceMicros, Hour);
        _block = _stride * (1 + _heldSlots);
    }

    public static HourlyAggregates? For(TableSpec table, QualityOptions options) =>
        table == Tables.GridStatus ? new(table, Tables.GridStatusHourly, ["grid_frequency_hz", "grid_voltage_kv", "grid_load_mw"], true, options)
        : table == Tables.Weather ? new(table, Tables.WeatherHourly, ["temperature_celsius", "humidity_percent", "pressure_hpa", "wind_speed_ms", "precipitation_mm", "cloud_cover_percent"], false, options)
        : null;

    public long AllocatedBytes => (long)_chunks.Count * PerChunk * _block * sizeof(double);

    /// <summary>A series' open hour and held hours (what a journal saves and restores).</summary>
    public Span<double> Block(int number)
    {
        int chunk = number / PerChunk;
        while (chunk >= _chunks.Count) _chunks.Add(new double[PerChunk * _block]);
        return _chunks[chunk].AsSpan((number - chunk * PerChunk) * _block, _block);
    }

    /// <summary>The open hour of series <paramref name="number"/> (count 0: none).</summary>
    private Span<double> Of(int number) => Block(number)[.._stride];

    /// <summary>The slot of a closed hour in a series' block.</summary>
    private Span<double> Held(Span<double> block, long start) =>
        block.Slice(_stride * (1 + (int)((start / Hour) & (_heldSlots - 1))), _stride);

    public void Add(int number, SeriesStates keys, ColumnBatch batch, int row, long micros, int flags, long position, AggregateOutput? output)
    {
        var block = Block(number);
        var a = block[.._stride];
        if (a[1] > 0 && (ulong)(micros - (long)a[0]) >= Hour)
        {
            a[4] = position; // the row lands with the one that closed it, inside this input's range
            if (output is not null) Write(keys.KeyOf(number), a, output);
            if (_heldSlots > 0)
            {
                var held = Held(block, (long)a[0]);
                a.CopyTo(held);
                held[3]++; // the row just written
            }
            a.Clear();
        }
        if (a[1] == 0) Open(a, MeterAggregates.IntervalStart(micros, Hour));
        Accumulate(a, batch, row, micros, flags, position);
    }

    /// <summary>
    /// Adds a late row (older than the series' newest, <paramref name="newest"/>) to its hour when it is at most
    /// <c>Quality:LateGraceMinutes</c> behind and no row was aggregated in its 64th of the hour (56 seconds; one
    /// already there makes it a resend): an open hour takes it, a closed one is written again at once with the next
    /// revision. Returns false, changing nothing, otherwise.
    /// </summary>
    public bool AddLate(int number, SeriesStates keys, ColumnBatch batch, int row, long micros, long newest, int flags,
        long position, AggregateOutput? output)
    {
        if (_heldSlots == 0 || micros < newest - _graceMicros) return false;
        var block = Block(number);
        long start = MeterAggregates.IntervalStart(micros, Hour);
        var open = block[.._stride];
        if (open[1] > 0 && (long)open[0] == start)
        {
            if (Taken(open, micros)) return false;
            Accumulate(open, batch, row, micros, flags, position);
            return true;
        }
        var held = Held(block, start);
        bool same = held[1] > 0 && (long)held[0] == start; // else no row had reached this hour (see MeterAggregates.AddLate)
        if (same && Taken(held, micros)) return false;
        if (!same)
        {
            held.Clear();
            Open(held, start);
        }
        Accumulate(held, batch, row, micros, flags, position);
        if (output is not null) Write(keys.KeyOf(number), held, output);
        held[3]++;
        return true;
    }

    private void Open(Span<double> a, long start)
    {
        a[0] = start;
        for (int m = 0; m < _measures.Length; m++)
        {
            a[Header + m * PerMeasure + 2] = double.PositiveInfinity;
            a[Header + m * PerMeasure + 3] = double.NegativeInfinity;
        }
    }

    /// <summary>A row was aggregated in the 64th of the hour that holds <paramref name="micros"/>.</summary>
    private static bool Taken(Span<double> a, long micros) => (Seen(a) & IntervalAggregate.SeenBit(micros, (long)a[0], Hour / 64)) != 0;

    private static ulong Seen(Span<double> a) => (ulong)a[5] | (ulong)a[6] << 32;

    private void Accumulate(Span<double> a, ColumnBatch batch, int row, long micros, int flags, long position)
    {
        a[1]++;
        a[2] = (int)a[2] | flags;
        a[4] = position;
        ulong seen = Seen(a) | IntervalAggregate.SeenBit(micros, (long)a[0], Hour / 64);
        (a[5], a[6]) = ((uint)seen, (uint)(seen >> 32));
        for (int m = 0; m < _measures.Length; m++)
        {
            int c = _measures[m];
            if (!batch.IsValid(c, row)) continue;
            double v = batch.DoubleValues(c)[row];
            var s = a.Slice(Header + m * PerMeasure, PerMeasure);
            s[0] += v;
            s[1]++;
            if (v < s[2]) s[2] = v;
            if (v > s[3]) s[3] = v;
        }
    }

    public int Flush(List<int> numbers, SeriesStates keys, AggregateOutput output)
    {
        int written = 0;
        foreach (int number in numbers)
        {
            var a = Of(number);
            if (a[1] == 0) continue;
            Write(keys.KeyOf(number), a, output);
            a[3]++;
            written++;
        }
        return written;
    }

    private void Write(ReadOnlySpan<byte> key, Span<double> a, AggregateOutput output)
    {
        long start = (long)a[0], position = (long)a[4];
        var batch = output.Row(_target, start);
        int c = 0;
        batch.SetBytes(c++, key);
        batch.SetInt64(c++, start);
        batch.SetInt64(c++, start + Hour);
        for (int m = 0; m < _measures.Length; m++)
        {
            var s = a.Slice(Header + m * PerMeasure, PerMeasure);
            bool any = s[1] > 0;
            if (any) batch.SetDouble(c++, s[0] / s[1]); else batch.SetNull(c++);
            if (!_minMax) continue;
            if (any) batch.SetDouble(c++, s[2]); else batch.SetNull(c++);
            if (any) batch.SetDouble(c++, s[3]); else batch.SetNull(c++);
        }
        batch.SetInt32(c++, (int)a[1]);
        batch.SetInt32(c++, (int)a[2]);
        batch.SetInt32(c, (int)a[3] + 1);
        batch.CommitRow(position, position + 1);
        output.Written(_target);
    }
}
