namespace Metrify.Engine.Columnar;

/// <summary>The lake's tables. docs/schema.md is the prose for these lists; a test keeps the two in step.</summary>
public static class Tables
{
    private static ColumnSpec Str(string n, string d, bool nullable = true) => new(n, ColumnKind.Utf8, nullable, "", d);
    private static ColumnSpec Ts(string n, string d, bool nullable = false) => new(n, ColumnKind.TimestampMicros, nullable, "UTC", d);
    private static ColumnSpec F(string n, string unit, string d) => new(n, ColumnKind.Float64, true, unit, d);
    private static ColumnSpec Flags() => new("quality_flags", ColumnKind.Int32, false, "bitmask",
        "Quality bits (see QualityFlags); 0 when every check passed.", ColumnSource.Engine);

    public static TableSpec Readings { get; } = new("readings",
        "Electricity meters: one row per meter and reading instant.",
        [
            Str("meter_id", "Meter identifier (simulated fleet: SM000000...; P1: equipment id).", nullable: false),
            Ts("reading_timestamp", "Instant the reading was taken."),
            F("consumption_kwh", "kWh", "Energy imported from the grid during the interval ending at reading_timestamp."),
            F("export_kwh", "kWh", "Energy exported to the grid (PV feed-in) during the interval."),
            F("voltage_v", "V", "Mains voltage (single phase, or the meter's summary value)."),
            F("current_a", "A", "Current (single phase, or the meter's summary value)."),
            F("power_factor", "1", "Power factor, 0..1."),
            F("frequency_hz", "Hz", "Mains frequency."),
            F("import_t1_kwh", "kWh", "Cumulative import register, tariff 1."),
            F("import_t2_kwh", "kWh", "Cumulative import register, tariff 2."),
            F("export_t1_kwh", "kWh", "Cumulative export register, tariff 1."),
            F("export_t2_kwh", "kWh", "Cumulative export register, tariff 2."),
            F("import_power_kw", "kW", "Instantaneous import power."),
            F("export_power_kw", "kW", "Instantaneous export power."),
            F("voltage_l1_v", "V", "Voltage, phase L1."),
            F("voltage_l2_v", "V", "Voltage, phase L2."),
            F("voltage_l3_v", "V", "Voltage, phase L3."),
            F("current_l1_a", "A", "Current, phase L1."),
            F("current_l2_a", "A", "Current, phase L2."),
            F("current_l3_a", "A", "Current, phase L3."),
            new("tariff", ColumnKind.Int32, true, "", "Active tariff indicator as the meter reports it."),
            Flags(),
        ], "reading_timestamp");

    public static TableSpec GridStatus { get; } = new("grid_status",
        "Transmission system operators: one row per operator and status instant.",
        [
            Str("operator_id", "Grid operator (TENNET, 50HERTZ, AMPRION, TRANSNETBW).", nullable: false),
            Ts("status_timestamp", "Instant of the status sample."),
            F("grid_frequency_hz", "Hz", "System frequency."),
            F("grid_voltage_kv", "kV", "Transmission voltage."),
            F("grid_load_mw", "MW", "Load in the control area."),
            F("power_generation_mw", "MW", "Generation in the control area."),
            F("grid_capacity_mw", "MW", "Available capacity."),
            Flags(),
        ], "status_timestamp");

    public static TableSpec Weather { get; } = new("weather",
        "Weather stations: one row per station and observation instant.",
        [
            Str("station_id", "Weather station identifier (DWD station id).", nullable: false),
            Ts("observation_timestamp", "Instant of the observation."),
            F("temperature_celsius", "°C", "Air temperature at 2 m."),
            F("humidity_percent", "%", "Relative humidity."),
            F("pressure_hpa", "hPa", "Air pressure at station level."),
            F("wind_speed_ms", "m/s", "Wind speed."),
            F("wind_direction_degrees", "°", "Wind direction, 0..360, clockwise from north."),
            F("precipitation_mm", "mm", "Precipitation during the last hour."),
            F("cloud_cover_percent", "%", "Cloud cover."),
            Flags(),
        ], "observation_timestamp");

    public static TableSpec Quarantine { get; } = new("quarantine",
        "Every input record that could not be decoded, with where it came from and why.",
        [
            Str("source", "Input the record came from (file path, later topic/partition).", nullable: false),
            Str("target_table", "Table the record was meant for.", nullable: false),
            new("line_number", ColumnKind.Int64, false, "", "1-based line number in the source (0 where the source has no lines)."),
            new("byte_offset", ColumnKind.Int64, false, "byte", "Offset of the record's first byte in the source."),
            Str("reason", "Reason code (see docs/schema.md).", nullable: false),
            Str("detail", "Readable detail: which column and what was wrong.", nullable: false),
            new("raw", ColumnKind.Binary, false, "", "The record's bytes exactly as received (without the line ending)."),
            Ts("context_timestamp", "Event time of the nearest good record of the same source; partitions the row deterministically."),
        ], "context_timestamp");

    /// <summary>Tables that inputs decode into (the quarantine is written by the engine, not decoded).</summary>
    public static IReadOnlyList<TableSpec> Decodable { get; } = [Readings, GridStatus, Weather];

    public static IReadOnlyList<TableSpec> All { get; } = [Readings, GridStatus, Weather, Quarantine];

    /// <summary>Names reserved for the tables later stages fill; the lake and docs already keep them free.</summary>
    public static IReadOnlyList<string> Reserved { get; } =
        ["registers", "gas", "solar", "readings_15min", "readings_hourly", "readings_daily", "grid_status_hourly", "weather_hourly"];

    public static TableSpec? Find(string name)
    {
        foreach (var t in All)
            if (string.Equals(t.Name, name, StringComparison.Ordinal)) return t;
        return null;
    }
}
