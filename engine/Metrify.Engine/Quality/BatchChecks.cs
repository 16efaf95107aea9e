using System.Numerics;
using System.Runtime.Intrinsics;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Quality;

/// <summary>
/// The stateless quality checks of one table, run on whole batches before they are written: every configured range
/// (vectorised over the column, nulls never flagged, NaN always), timestamps beyond the clock skew, and the grid's
/// load against its operator's capacity. Each check sets its bit in <c>quality_flags</c>; rows are never dropped.
/// </summary>
public sealed class BatchChecks
{
    private readonly (int Column, double Min, double Max)[] _ranges;
    private readonly int _flags, _time, _load = -1, _capacity = -1;
    private readonly long _futureLimit;

    /// <param name="nowMicros">The ingest's clock (UTC microseconds), read once so a run judges all rows alike.</param>
    public BatchChecks(TableSpec table, QualityOptions options, long nowMicros)
    {
        _flags = table.QualityFlagsIndex;
        _time = table.PartitionColumnIndex;
        _futureLimit = nowMicros + options.FutureSkewSeconds * 1_000_000L;
        _ranges = options.Ranges
            .Select(r => (Column: table.IndexOf(r.Key), r.Value.Min, r.Value.Max))
            .Where(r => r.Column >= 0 && table.Columns[r.Column].Kind == ColumnKind.Float64)
            .Where(r => !(double.IsNegativeInfinity(r.Min) && double.IsPositiveInfinity(r.Max)))
            .OrderBy(r => r.Column).ToArray();
        if (table == Tables.GridStatus) (_load, _capacity) = (table.IndexOf("grid_load_mw"), table.IndexOf("grid_capacity_mw"));
    }

    public bool IsEmpty => _flags < 0;

    public void Apply(ColumnBatch batch)
    {
        if (_flags < 0 || batch.Count == 0) return;
        var flags = batch.MutableInt32Values(_flags);
        foreach (var (column, min, max) in _ranges)
            if (batch.HasValues(column)) Range(batch.DoubleValues(column), batch.ValidityBits(column), min, max, flags);
        var times = batch.Int64Values(_time);
        for (int i = 0; i < times.Length; i++)
            if (times[i] > _futureLimit) flags[i] |= (int)QualityFlags.FutureTimestamp;
        if (_load >= 0) LoadAboveCapacity(batch, flags);
    }

    /// <summary>Flags rows whose value is present and not within [min, max] (NaN included), four doubles at a time.</summary>
    private static void Range(ReadOnlySpan<double> values, ReadOnlySpan<byte> validity, double min, double max, Span<int> flags)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var lo = Vector256.Create(min);
            var hi = Vector256.Create(max);
            for (; i + 4 <= values.Length; i += 4)
            {
                var v = Vector256.Create(values.Slice(i, 4));
                // In range is (v >= min) & (v <= max); a NaN fails both compares, so it is out of range.
                uint outside = ~(Vector256.GreaterThanOrEqual(v, lo) & Vector256.LessThanOrEqual(v, hi)).ExtractMostSignificantBits() & 0xF;
                if (outside == 0) continue;
                if (!validity.IsEmpty) outside &= (uint)(validity[i >> 3] >> (i & 7)) & 0xF; // i is a multiple of 4
                while (outside != 0)
                {
                    flags[i + BitOperations.TrailingZeroCount(outside)] |= (int)QualityFlags.OutOfRange;
                    outside &= outside - 1;
                }
            }
        }
        for (; i < values.Length; i++)
        {
            if (!validity.IsEmpty && (validity[i >> 3] & (1 << (i & 7))) == 0) continue;
            double v = values[i];
            if (!(v >= min && v <= max)) flags[i] |= (int)QualityFlags.OutOfRange;
        }
    }

    private void LoadAboveCapacity(ColumnBatch batch, Span<int> flags)
    {
        var load = batch.DoubleValues(_load);
        var capacity = batch.DoubleValues(_capacity);
        for (int i = 0; i < load.Length; i++)
            if (batch.IsValid(_load, i) && batch.IsValid(_capacity, i) && load[i] > capacity[i]) flags[i] |= (int)QualityFlags.OutOfRange;
    }
}
