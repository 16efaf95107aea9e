using Metrify.Engine.Columnar;

namespace Metrify.Engine.Quality;

/// <summary>
/// Hourly statistics per grid operator or weather station, on the rows the series checks let through in each
/// series' order, written like the meter aggregates: when a series' first row of a later hour arrives, and open at
/// the end of a file (kept open; a later row gives the next revision). The open hour of a series is a run of
/// doubles: start, count, flags, revision, position, then per measure sum, count, min and max (all exact in a
/// double). Not thread-safe: <see cref="SeriesChecks"/> calls it under its lock.
/// </summary>
internal sealed class HourlyAggregates
{
    private const long Hour = 3_600_000_000L;
    private const int Header = 5, PerMeasure = 4;
    private readonly TableSpec _target;
    private readonly int[] _measures;
    private readonly bool _minMax;
    private readonly int _stride;
    private readonly List<double[]> _chunks = new();
    private const int PerChunk = 4096;

    private HourlyAggregates(TableSpec source, TableSpec target, string[] measures, bool minMax)
    {
        _target = target;
        _measures = measures.Select(source.IndexOf).ToArray();
        _minMax = minMax;
        _stride = Header + PerMeasure * _measures.Length;
    }

    public static HourlyAggregates? For(TableSpec table) =>
        table == Tables.GridStatus ? new(table, Tables.GridStatusHourly, ["grid_frequency_hz", "grid_voltage_kv", "grid_load_mw"], true)
        : table == Tables.Weather ? new(table, Tables.WeatherHourly, ["temperature_celsius", "humidity_percent", "pressure_hpa", "wind_speed_ms", "precipitation_mm", "cloud_cover_percent"], false)
        : null;

    public long AllocatedBytes => (long)_chunks.Count * PerChunk * _stride * sizeof(double);

    /// <summary>The open hour of series <paramref name="number"/> (count 0: none).</summary>
    public Span<double> Of(int number)
    {
        int chunk = number / PerChunk;
        while (chunk >= _chunks.Count) _chunks.Add(new double[PerChunk * _stride]);
        return _chunks[chunk].AsSpan((number - chunk * PerChunk) * _stride, _stride);
    }

    public void Add(int number, SeriesStates keys, ColumnBatch batch, int row, long micros, int flags, long position, AggregateOutput? output)
    {
        var a = Of(number);
        if (a[1] > 0 && (ulong)(micros - (long)a[0]) >= Hour)
        {
            a[4] = position; // the row lands with the one that closed it, inside this input's range
            if (output is not null) Write(keys.KeyOf(number), a, output);
            a.Clear();
        }
        if (a[1] == 0)
        {
            a[0] = MeterAggregates.IntervalStart(micros, Hour);
            for (int m = 0; m < _measures.Length; m++)
            {
                a[Header + m * PerMeasure + 2] = double.PositiveInfinity;
                a[Header + m * PerMeasure + 3] = double.NegativeInfinity;
            }
        }
        a[1]++;
        a[2] = (int)a[2] | flags;
        a[4] = position;
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
