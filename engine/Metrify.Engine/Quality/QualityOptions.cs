namespace Metrify.Engine.Quality;

/// <summary>A plausible range for one column; a value outside it (or NaN) sets <c>OutOfRange</c>.</summary>
public sealed record ValueRange
{
    public double Min { get; set; } = double.NegativeInfinity;
    public double Max { get; set; } = double.PositiveInfinity;

    public ValueRange() { }
    public ValueRange(double min, double max) => (Min, Max) = (min, max);
}

/// <summary>
/// Settings of the quality checks (the <c>Quality</c> section of metrify.json). Ranges are keyed by column name and
/// apply to every table that has the column; entries in the configuration replace or add to the defaults here.
/// </summary>
public sealed record QualityOptions
{
    /// <summary>Defaults from standards and the simulated fleet's hardware:
    /// mains voltage 230 V ± 10 % (EN 50160), frequency 49.8–50.2 Hz (the ENTSO-E normal band, for readings and grid
    /// status), power factor 0–1, currents up to a residential meter's 100 A rating and powers up to what 3 × 100 A
    /// at 230 V delivers (69 kW), transmission voltage 380 kV − 10 % to 420 kV, and weather as DWD stations can
    /// physically report it.</summary>
    public Dictionary<string, ValueRange> Ranges { get; set; } = new()
    {
        ["voltage_v"] = new(207, 253), ["voltage_l1_v"] = new(207, 253), ["voltage_l2_v"] = new(207, 253), ["voltage_l3_v"] = new(207, 253),
        ["frequency_hz"] = new(49.8, 50.2), ["power_factor"] = new(0, 1),
        ["current_a"] = new(0, 100), ["current_l1_a"] = new(0, 100), ["current_l2_a"] = new(0, 100), ["current_l3_a"] = new(0, 100),
        ["import_power_kw"] = new(0, 69), ["export_power_kw"] = new(0, 69),
        ["import_power_l1_kw"] = new(0, 23), ["import_power_l2_kw"] = new(0, 23), ["import_power_l3_kw"] = new(0, 23),
        ["export_power_l1_kw"] = new(0, 23), ["export_power_l2_kw"] = new(0, 23), ["export_power_l3_kw"] = new(0, 23),
        ["consumption_kwh"] = new(0, double.PositiveInfinity), ["export_kwh"] = new(0, double.PositiveInfinity),
        ["grid_frequency_hz"] = new(49.8, 50.2), ["grid_voltage_kv"] = new(342, 420),
        ["grid_load_mw"] = new(0, double.PositiveInfinity), ["power_generation_mw"] = new(0, double.PositiveInfinity),
        ["grid_capacity_mw"] = new(0, double.PositiveInfinity),
        ["temperature_celsius"] = new(-50, 50), ["humidity_percent"] = new(0, 100), ["pressure_hpa"] = new(850, 1100),
        ["wind_speed_ms"] = new(0, 75), ["wind_direction_degrees"] = new(0, 360), ["precipitation_mm"] = new(0, 300),
        ["cloud_cover_percent"] = new(0, 100),
    };

    /// <summary>A timestamp more than this far ahead of the ingest's clock sets <c>FutureTimestamp</c>.</summary>
    public int FutureSkewSeconds { get; set; } = 300;

    /// <summary>The meters' reading cadence: completeness in <c>metrify quality</c>, and the gap check's cadence for a
    /// meter until its own is learned.</summary>
    public int ReadingIntervalMinutes { get; set; } = 15;

    /// <summary>Energy per reading more than this many mean absolute deviations above the meter's running mean is a
    /// <c>Spike</c>.</summary>
    public double SpikeDeviations { get; set; } = 8;

    /// <summary>A reading at most this far behind its meter's newest is late but still aggregated: it corrects the
    /// intervals it belongs to (a row with the next revision). The closed intervals of this span are kept per
    /// meter: 64 bytes per interval, ceil(grace / length) per interval length rounded up to a power of two (4 + 1 + 1,
    /// 384 bytes, at 60 minutes); 0 keeps none.</summary>
    public int LateGraceMinutes { get; set; } = 60;

    /// <summary>Run the stateful checks (duplicates, late rows, gaps, register decreases, spikes).</summary>
    public bool SeriesChecks { get; set; } = true;

    public IEnumerable<string> Validate()
    {
        foreach (var (column, range) in Ranges)
        {
            bool known = Columnar.Tables.All.Any(t => t.IndexOf(column) is var i and >= 0 && t.Columns[i].Kind == Columnar.ColumnKind.Float64);
            if (!known) yield return $"Quality:Ranges:{column}: no table has a numeric column of that name.";
            else if (!(range.Min <= range.Max)) yield return $"Quality:Ranges:{column}: Min ({range.Min}) must not exceed Max ({range.Max}).";
        }
        if (FutureSkewSeconds < 0) yield return $"Quality:FutureSkewSeconds must not be negative (is {FutureSkewSeconds}).";
        if (ReadingIntervalMinutes < 1 || 1440 % ReadingIntervalMinutes != 0)
            yield return $"Quality:ReadingIntervalMinutes must divide a day (is {ReadingIntervalMinutes}).";
        if (LateGraceMinutes is < 0 or > 1440) yield return $"Quality:LateGraceMinutes must be between 0 and 1440 (is {LateGraceMinutes}).";
        if (!(SpikeDeviations > 0)) yield return $"Quality:SpikeDeviations must be positive (is {SpikeDeviations}).";
    }
}
