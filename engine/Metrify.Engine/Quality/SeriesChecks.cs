using System.Runtime.CompilerServices;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Quality;

/// <summary>
/// The stateful quality checks of one keyed table (readings by meter, grid status by operator, weather by station),
/// run on whole batches in the order each series' rows arrive, against a compact per-series state:
/// <list type="bullet">
/// <item>the same series and instant again: identical values are dropped and counted, different ones are kept and
/// flagged <c>DuplicateConflict</c>;</item>
/// <item>an instant older than the series' newest (its watermark) is flagged <c>Late</c> and leaves the state alone
/// (a late reading within <c>Quality:LateGraceMinutes</c> still corrects its aggregate intervals);</item>
/// <item>a step longer than one and a half of the series' cadence flags <c>GapBefore</c>; the cadence is learned
/// from the steps (two equal ones in a row to shorten it, eight to lengthen it; readings start from
/// <c>Quality:ReadingIntervalMinutes</c>);</item>
/// <item>a cumulative register below the series' last one flags <c>RegisterDecrease</c>; the new value becomes the
/// baseline, so a register reset or a meter swap flags one row and not every later one;</item>
/// <item>energy per reading (the register step scaled to the cadence, else <c>consumption_kwh</c>) far above the
/// series' running mean flags <c>Spike</c>, and is kept out of the running statistic.</item>
/// </list>
/// Rows stamped in the future, with a sentinel clock or without a meter clock are not the series' own time and are
/// passed by. Thread-safe: a batch is checked under one lock.
/// </summary>
public sealed class SeriesChecks
{
    private const int Warmup = 4;           // readings before spikes are judged
    private const float Smoothing = 1f / 32; // running statistic: about the last 32 readings (8 hours at 15 minutes)
    private const float PeakFactor = 2.5f, PeakDecay = 0.995f, PeakGrowth = 1.5f; // recent peaks, see Spike
    private const int Skipped = (int)(QualityFlags.FutureTimestamp | QualityFlags.SentinelTimestamp | QualityFlags.NoMeterClock);

    private readonly TableSpec _table;
    private readonly SeriesStates _states = new();
    private readonly int _key, _time, _flags, _initialCadence;
    private readonly ReadingInputs? _inputs; // readings only: energy, power and voltage per row
    private readonly MeterAggregates? _aggregates;
    private readonly HourlyAggregates? _hourly;
    private readonly float _spikeDeviations;
    private readonly int[] _hashed;
    private uint[] _hashes = [];
    private int[] _numbers = []; // each row's series
    private int[] _keep = [];
    private long _missing; // intervals missing before the rows of the batch being checked

    private SeriesChecks(TableSpec table, string key, QualityOptions options)
    {
        _table = table;
        _key = table.IndexOf(key);
        _time = table.PartitionColumnIndex;
        _flags = table.QualityFlagsIndex;
        _spikeDeviations = (float)options.SpikeDeviations;
        if (table == Tables.Readings)
        {
            _initialCadence = options.ReadingIntervalMinutes * 60;
            _inputs = new ReadingInputs(table);
            _aggregates = new MeterAggregates(options);
        }
        _hourly = HourlyAggregates.For(table, options);
        _hashed = Enumerable.Range(0, table.Columns.Count)
            .Where(c => c != _key && c != _time && table.Columns[c].Source == ColumnSource.Input).ToArray();
    }

    /// <summary>The checks for a table, or null for a table without a series key.</summary>
    public static SeriesChecks? For(TableSpec table, QualityOptions options)
    {
        if (table == Tables.Readings) return new SeriesChecks(table, "meter_id", options);
        if (table == Tables.GridStatus) return new SeriesChecks(table, "operator_id", options);
        if (table == Tables.Weather) return new SeriesChecks(table, "station_id", options);
        return null;
    }

    /// <summary>Series known so far and the bytes their state (and open aggregates) hold.</summary>
    public (int Series, long Bytes) Size
    {
        get { lock (_states) return (_states.Count, _states.AllocatedBytes + (_aggregates?.AllocatedBytes ?? 0) + (_hourly?.AllocatedBytes ?? 0)); }
    }

    /// <summary>Writes the open aggregate intervals of the meters an input touched, at the input's end (at
    /// <paramref name="position"/>); they stay open, and more readings later give them a complete row with the next revision.</summary>
    public int FlushTouched(SeriesJournal journal, AggregateOutput output, long position)
    {
        if (_aggregates is null && _hourly is null) return 0;
        var touched = journal.Touched(this);
        lock (_states)
            return (_aggregates?.Flush(touched, _states, output, position) ?? 0) + (_hourly?.Flush(touched, _states, output) ?? 0);
    }

    /// <summary>A series' state and aggregates as they were before an input changed them; a meter's intervals are
    /// copied into the journal's arena at <see cref="Intervals"/>.</summary>
    internal readonly record struct Saved(int Number, SeriesState State, int Intervals, double[]? Hourly);

    internal Saved Save(int number, in SeriesState state, SegmentedList<IntervalAggregate> arena) => _aggregates is null
        ? new(number, state, -1, _hourly?.Block(number).ToArray())
        : new(number, state, arena.AddRun(_aggregates.Of(number)), null);

    /// <summary>
    /// Checks the batch's rows in order and drops identical duplicates from it. Returns what it found: rows dropped,
    /// rows kept and clean, intervals missing.
    /// <paramref name="journal"/>, when given, receives each touched state as it was before its first change, so the
    /// changes of an input that is not published can be undone.
    /// </summary>
    public BatchQuality Apply(ColumnBatch batch, SeriesJournal? journal = null, AggregateOutput? aggregates = null)
    {
        int count = batch.Count;
        if (count == 0) return default;
        lock (_states)
        {
            _missing = 0;
            _aggregates?.DiscardPending();
            HashRows(batch);
            _inputs?.Gather(batch);
            if (_keep.Length < count) (_keep, _numbers) = (new int[batch.Capacity], new int[batch.Capacity]);
            var times = batch.Int64Values(_time);
            var flags = batch.MutableInt32Values(_flags);
            // Every checked row's series first, in one tight loop (new series are numbered in row order).
            var numbers = _numbers.AsSpan(0, count);
            int previous = -1;
            for (int i = 0; i < numbers.Length; i++)
                numbers[i] = (flags[i] & Skipped) == 0 ? previous = _states.GetOrAdd(batch.GetBytes(_key, i), previous) : -1;
            int kept = 0;
            for (int i = 0; i < count; i++)
            {
                if ((flags[i] & Skipped) == 0 && !Check(batch, i, numbers[i], times[i], ref flags[i], journal, aggregates)) continue;
                _keep[kept++] = i;
            }
            if (aggregates is not null) _aggregates?.WritePending(_states, aggregates);
            if (kept < count) batch.KeepRows(_keep.AsSpan(0, kept));
            int clean = batch.Int32Values(_flags).Count(0);
            return new BatchQuality(count - kept, kept, clean, _missing);
        }
    }

    /// <summary>Restores the states a journal recorded, newest first.</summary>
    internal void Undo(SegmentedList<Saved> entries, SegmentedList<IntervalAggregate> arena)
    {
        lock (_states)
            for (int i = entries.Count - 1; i >= 0; i--)
            {
                var e = entries[i];
                _states[e.Number] = e.State;
                if (e.Hourly is not null) e.Hourly.CopyTo(_hourly!.Block(e.Number));
                if (_aggregates is null) continue;
                arena.Run(e.Intervals, _aggregates.IntervalsPerMeter).CopyTo(_aggregates.Of(e.Number));
            }
    }

    /// <summary>Checks one row against its series and updates the state; false when the row is an identical duplicate.</summary>
    private bool Check(ColumnBatch batch, int i, int number, long micros, ref int flags, SeriesJournal? journal, AggregateOutput? output)
    {
        ref var s = ref _states[number];
        if (journal is not null && s.Journal != journal.Id) journal.Record(this, number, ref s);
        uint hash = _hashes[i];
        int cadence = s.CadenceSeconds > 0 ? s.CadenceSeconds : _initialCadence;
        long stepMicros = 0;
        if (s.Count > 0)
        {
            if (micros == s.LastMicros)
            {
                if (hash == s.RowHash) return journal?.KeepDuplicates == true;
                flags |= (int)QualityFlags.DuplicateConflict;
                return true;
            }
            if (micros < s.LastMicros)
            {
                flags |= (int)QualityFlags.Late;
                if (_aggregates is not null) AggregateLate(batch, i, number, micros, s.LastMicros, flags, output);
                _hourly?.AddLate(number, _states, batch, i, micros, s.LastMicros, flags, batch.RowStarts[i], output);
                return true;
            }
            stepMicros = micros - s.LastMicros;
            int step = (int)Math.Min(stepMicros / 1_000_000, int.MaxValue);
            if (cadence > 0 && (long)step * 2 > (long)cadence * 3)
            {
                flags |= (int)QualityFlags.GapBefore;
                _missing += ((long)step + cadence / 2) / cadence - 1; // the readings the cadence expected in between
            }
            // The cadence follows the meter: two equal steps make a shorter one, eight a longer one (so a few gaps
            // in a row do not teach it to miss the next).
            s.StepRepeats = step == s.LastStepSeconds ? (byte)Math.Min(s.StepRepeats + 1, 255) : (byte)1;
            if (step > 0 && (step < cadence || cadence == 0) && s.StepRepeats >= 2 || step > cadence && s.StepRepeats >= 8)
                s.CadenceSeconds = step;
            s.LastStepSeconds = step;
        }

        // Energy of the reading: its register's step from the last one (0 for the first, or when the register
        // fell), else the interval value the row carries.
        double energy = double.NaN, imported = 0, exported = 0;
        if (_inputs is { } row)
        {
            double import = row.Import[i];
            if (!double.IsNaN(import))
            {
                if (import < s.LastImport) flags |= (int)QualityFlags.RegisterDecrease;
                else if (!double.IsNaN(s.LastImport))
                {
                    imported = import - s.LastImport;
                    if (stepMicros > 0) energy = imported * (cadence > 0 ? cadence * 1e6 / stepMicros : 1);
                }
                s.LastImport = import;
            }
            else if (!double.IsNaN(row.Consumption[i])) energy = imported = row.Consumption[i];
            double export = row.Export[i];
            if (!double.IsNaN(export))
            {
                if (export < s.LastExport) flags |= (int)QualityFlags.RegisterDecrease;
                else if (!double.IsNaN(s.LastExport)) exported = export - s.LastExport;
                s.LastExport = export;
            }
            else if (!double.IsNaN(row.ExportKwh[i])) exported = row.ExportKwh[i];
        }
        if (double.IsFinite(energy)) Spike(ref s, energy, ref flags);
        if (_aggregates is not null) Aggregate(batch, i, number, micros, imported, exported, flags, output);
        _hourly?.Add(number, _states, batch, i, micros, flags, batch.RowStarts[i], output);

        s.LastMicros = micros;
        s.RowHash = hash;
        if (s.Count < ushort.MaxValue) s.Count++;
        return true;
    }

    /// <summary>Flags energy far above the series' running mean (by <c>Quality:SpikeDeviations</c> mean absolute
    /// deviations, with a floor of a tenth of the mean so a flat series is not hair-triggered), else updates it.</summary>
    private void Spike(ref SeriesState s, double energy, ref int flags)
    {
        // Every value here is finite (a NaN mean is the first reading's case), so the native min and max are exact:
        // one instruction each instead of the NaN- and sign-aware Math.Max.
        float e = (float)energy, mean = s.Mean;
        if (float.IsNaN(mean)) { s.Mean = e; s.Deviation = Math.Abs(e) / 2; s.Envelope = float.MaxNative(e, 0); return; }
        float floor = float.MaxNative(0.1f * Math.Abs(mean), 1e-3f), peak = s.Envelope;
        // Far above the running mean (in deviations) and above the meter's recent peaks: a daily load curve's
        // evening peak passes the first test on a meter's first day, not the second.
        if (s.Count >= Warmup && e > mean + _spikeDeviations * float.MaxNative(s.Deviation, floor) && e > PeakFactor * peak)
        {
            flags |= (int)QualityFlags.Spike;
            return;
        }
        s.Deviation += Smoothing * (Math.Abs(e - mean) - s.Deviation);
        s.Mean = mean + Smoothing * (e - mean);
        // The peak starts from the lowest warm-up reading and follows a rise at most by half per reading, so a spike
        // in the warm-up (unjudged) does not mask the next ones for days; it decays by half in ~140 readings.
        float rise = PeakGrowth * float.MaxNative(peak, floor);
        if (s.Count < Warmup) s.Envelope = float.MaxNative(float.MinNative(peak, e), 0);
        else s.Envelope = float.MaxNative(float.MinNative(e, rise), PeakDecay * peak);
    }

    private void Aggregate(ColumnBatch batch, int i, int number, long micros, double imported, double exported, int flags, AggregateOutput? output)
    {
        var row = _inputs!;
        _aggregates!.Add(number, _states, micros, imported, exported, row.Power[i], row.MinVoltage[i], row.MaxVoltage[i], flags,
            batch.RowStarts[i], output);
    }

    /// <summary>A late reading's contribution: its register step is already inside the step of the reading after it
    /// (counting it again would count its energy twice), so only an interval value adds energy.</summary>
    private void AggregateLate(ColumnBatch batch, int i, int number, long micros, long newest, int flags, AggregateOutput? output)
    {
        var row = _inputs!;
        double imported = double.IsNaN(row.Import[i]) && !double.IsNaN(row.Consumption[i]) ? row.Consumption[i] : 0;
        double exported = double.IsNaN(row.Export[i]) && !double.IsNaN(row.ExportKwh[i]) ? row.ExportKwh[i] : 0;
        _aggregates!.AddLate(number, _states, micros, newest, imported, exported, row.Power[i], row.MinVoltage[i], row.MaxVoltage[i],
            flags, batch.RowStarts[i], output);
    }

    /// <summary>
    /// A hash of each row's values, column by column so each pass is a tight loop. A null adds nothing and a value
    /// is mixed with its column's number, so a column that is null in the whole batch (most register columns of a
    /// CSV source) is skipped and the hash of a row is the same whichever batch it sits in.
    /// </summary>
    private void HashRows(ColumnBatch batch)
    {
        int count = batch.Count;
        if (_hashes.Length < count) _hashes = new uint[batch.Capacity];
        var hashes = _hashes.AsSpan(0, count);
        hashes.Fill(2166136261);
        foreach (int c in _hashed)
        {
            int nulls = batch.NullCount(c);
            if (nulls == count) continue;
            var kind = _table.Columns[c].Kind;
            ulong salt = (ulong)(c + 1) * 0xC2B2AE3D27D4EB4FUL;
            if (kind is ColumnKind.Utf8 or ColumnKind.Binary)
            {
                for (int i = 0; i < count; i++)
                    if (batch.IsValid(c, i)) hashes[i] = Mix(hashes[i], System.IO.Hashing.XxHash3.HashToUInt64(batch.GetBytes(c, i)) ^ salt);
                continue;
            }
            var validity = nulls == 0 ? default : batch.ValidityBits(c);
            if (kind == ColumnKind.Int32)
            {
                var v = batch.Int32Values(c);
                if (validity.IsEmpty) for (int i = 0; i < count; i++) hashes[i] = Mix(hashes[i], (uint)v[i] ^ salt);
                else for (int i = 0; i < count; i++) if (IsSet(validity, i)) hashes[i] = Mix(hashes[i], (uint)v[i] ^ salt);
            }
            else
            {
                var v = batch.Int64Values(c); // doubles and timestamps, by their bits
                if (validity.IsEmpty) for (int i = 0; i < count; i++) hashes[i] = Mix(hashes[i], (ulong)v[i] ^ salt);
                else for (int i = 0; i < count; i++) if (IsSet(validity, i)) hashes[i] = Mix(hashes[i], (ulong)v[i] ^ salt);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsSet(ReadOnlySpan<byte> validity, int i) => (validity[i >> 3] & (1 << (i & 7))) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Mix(uint h, ulong v)
    {
        ulong x = (h ^ v) * 0x9E3779B97F4A7C15UL;
        return (uint)(x >> 32) ^ (uint)x;
    }
}
