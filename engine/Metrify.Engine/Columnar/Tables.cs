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
            F("import_total_kwh", "kWh", "Cumulative import register over all tariffs (meters that send a total: LU, AT, SML)."),
            F("export_total_kwh", "kWh", "Cumulative export register over all tariffs."),
            F("import_power_l1_kw", "kW", "Instantaneous import power, phase L1."),
            F("import_power_l2_kw", "kW", "Instantaneous import power, phase L2."),
            F("import_power_l3_kw", "kW", "Instantaneous import power, phase L3."),
            F("export_power_l1_kw", "kW", "Instantaneous export power, phase L1."),
            F("export_power_l2_kw", "kW", "Instantaneous export power, phase L2."),
            F("export_power_l3_kw", "kW", "Instantaneous export power, phase L3."),
            F("voltage_l1_v", "V", "Voltage, phase L1."),
            F("voltage_l2_v", "V", "Voltage, phase L2."),
            F("voltage_l3_v", "V", "Voltage, phase L3."),
            F("current_l1_a", "A", "Current, phase L1."),
            F("current_l2_a", "A", "Current, phase L2."),
            F("current_l3_a", "A", "Current, phase L3."),
            new("tariff", ColumnKind.Int32, true, "", "Active tariff indicator as the meter reports it."),
            Flags(),
        ], "reading_timestamp");

    public static TableSpec Registers { get; } = new("registers",
        "Every value a meter frame carried that has no column in readings or gas, one row per value: nothing a meter sent is lost.",
        [
            Str("meter_id", "Meter the frame came from (as in readings).", nullable: false),
            Ts("reading_timestamp", "Instant of the frame (as the readings row of the same frame)."),
            Str("obis", "OBIS code A-B:C.D.E (with *F when F is not 255); 'header' for the P1 identification line.", nullable: false),
            new("value_index", ColumnKind.Int32, false, "", "0-based position of the value among the object's values (P1 lines may carry several)."),
            F("value", "", "Numeric value, scaled and normalised to the unit in the unit column."),
            Str("unit", "Unit of value after normalisation (W to kW, Wh to kWh, var to kvar, VA to kVA); null when none was sent."),
            Str("text", "Text value: hex-decoded ids and messages, OBIS references, status and raw values that are not numbers."),
            Ts("value_timestamp", "Timestamp value (UTC), e.g. power-failure log entries; null when absent or a sentinel.", nullable: true),
            new("status", ColumnKind.Int64, true, "", "SML status word of the entry, raw (vendor bit field)."),
            Flags(),
        ], "reading_timestamp");

    public static TableSpec Gas { get; } = new("gas",
        "M-Bus sub-meters (gas, water, heat) reported through an electricity meter's P1 port: one row per channel and frame.",
        [
            Str("meter_id", "Electricity meter whose frame carried the value.", nullable: false),
            Ts("reading_timestamp", "Instant of the frame that carried the value."),
            new("channel", ColumnKind.Int32, false, "", "M-Bus channel 1..4 (assigned by installation order, not by medium)."),
            new("device_type", ColumnKind.Int32, true, "", "EN 13757-3 device type: 3 gas, 4 heat, 7 water."),
            Str("device_id", "Sub-meter equipment id (hex-decoded)."),
            Str("obis", "OBIS code the value came in (24.2.1 temperature-corrected gas or water, 24.2.3 uncorrected BE gas, 24.3.0 DSMR 2.2/3.0 profile)."),
            Ts("capture_timestamp", "The device's own capture time of the value (UTC); null when absent or a sentinel.", nullable: true),
            F("value", "", "Meter reading, in the unit of the unit column."),
            Str("unit", "Unit as sent (m3, GJ); null when the meter sent none (dead slots)."),
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
            Str("source", "Input the record came from: a file path, or kafka://topic/partition.", nullable: false),
            Str("target_table", "Table the record was meant for.", nullable: false),
            new("line_number", ColumnKind.Int64, false, "", "1-based line number in the source (0 where the source has no lines); for Kafka, the message's offset."),
            new("byte_offset", ColumnKind.Int64, false, "byte", "Offset of the record's first byte in the source (for Kafka, in its message)."),
            Str("reason", "Reason code (see docs/schema.md).", nullable: false),
            Str("detail", "Readable detail: which column and what was wrong.", nullable: false),
            new("raw", ColumnKind.Binary, false, "", "The record's bytes exactly as received (without the line ending)."),
            Ts("context_timestamp", "Event time of the nearest good record of the same source; partitions the row deterministically."),
        ], "context_timestamp");

    /// <summary>An aggregate table: the series key and the interval, the measures, then how many rows went in,
    /// their flags and the row's revision (docs/quality.md). Partitioned by the day: a file per hour would hold a
    /// few thousand rows, and its dictionaries, footer and file creation would cost more than its rows.</summary>
    private static TableSpec Aggregate(string name, string description, ColumnSpec key, string span, string count, string late, IEnumerable<ColumnSpec> measures) =>
        new(name, description,
        [
            key,
            Ts("interval_start", $"Start of the {span} (inclusive, UTC)."),
            Ts("interval_end", $"End of the {span} (exclusive, UTC)."),
            .. measures,
            new(count, ColumnKind.Int32, false, "", $"Rows aggregated (not: rows flagged DuplicateConflict, FutureTimestamp, SentinelTimestamp or NoMeterClock, and {late})."),
            new("quality_flags", ColumnKind.Int32, false, "bitmask", "Union of the aggregated rows' quality flags."),
            new("revision", ColumnKind.Int32, false, "", $"1 for the first row of a series' {span}; each later row for it (the {span} got more rows after it was written) counts up: keep the highest."),
        ], "interval_start", partitionHours: 24);

    /// <summary>Per-meter aggregates over one interval length.</summary>
    private static TableSpec MeterAggregate(string name, string interval) => Aggregate(name,
        $"Per meter and {interval}: energy, power, voltage, reading count, completeness and flags, computed in the stream.",
        Str("meter_id", "Meter the interval belongs to.", nullable: false), "interval", "reading_count",
        "Late rows beyond Quality:LateGraceMinutes or resent (a reading already in their 64th of the quarter hour)",
        [
            F("energy_import_kwh", "kWh", "Energy imported in the interval: register steps where the meter sends registers, else the sum of consumption_kwh."),
            F("energy_export_kwh", "kWh", "Energy exported in the interval: export register steps, else the sum of export_kwh."),
            F("mean_power_kw", "kW", "Mean import power over the interval: energy_import_kwh / the interval's hours."),
            F("peak_power_kw", "kW", "Highest instantaneous import power sent in the interval (null when the meter sends none)."),
            F("min_voltage_v", "V", "Lowest voltage sent in the interval, over voltage_v and the phase voltages."),
            F("max_voltage_v", "V", "Highest voltage sent in the interval, over voltage_v and the phase voltages."),
            F("completeness", "1", "reading_count / the readings Quality:ReadingIntervalMinutes expects in the interval, at most 1."),
        ]);

    /// <summary>Hourly statistics of a series table's measurements (mean, and min and max when asked).</summary>
    private static TableSpec Hourly(string name, string description, TableSpec source, string key, string count, string[] measures, bool minMax) =>
        Aggregate(name, description, Str(key, $"Series the hour belongs to (as in {source.Name}).", nullable: false), "hour", count,
            "Late rows beyond Quality:LateGraceMinutes or resent (a row already in their 64th of the hour)",
            measures.SelectMany(m =>
            {
                var unit = source.Columns[source.IndexOf(m)].Unit;
                var mean = F($"mean_{m}", unit, $"Mean of {m} over the hour's rows that carry it.");
                return minMax ? [mean, F($"min_{m}", unit, $"Lowest {m} in the hour."), F($"max_{m}", unit, $"Highest {m} in the hour.")] : new[] { mean };
            }));

    public static TableSpec GridStatusHourly { get; } = Hourly("grid_status_hourly",
        "Per grid operator and hour: frequency, voltage and load statistics, computed in the stream.",
        GridStatus, "operator_id", "status_count", ["grid_frequency_hz", "grid_voltage_kv", "grid_load_mw"], minMax: true);

    public static TableSpec WeatherHourly { get; } = Hourly("weather_hourly",
        "Per weather station and hour: mean observations, computed in the stream.",
        Weather, "station_id", "observation_count",
        ["temperature_celsius", "humidity_percent", "pressure_hpa", "wind_speed_ms", "precipitation_mm", "cloud_cover_percent"], minMax: false);

    public static TableSpec Readings15Min { get; } = MeterAggregate("readings_15min", "15 minutes");
    public static TableSpec ReadingsHourly { get; } = MeterAggregate("readings_hourly", "hour");
    public static TableSpec ReadingsDaily { get; } = MeterAggregate("readings_daily", "day (UTC)");

    /// <summary>Tables that inputs decode into (the quarantine is written by the engine, not decoded).</summary>
    public static IReadOnlyList<TableSpec> Decodable { get; } = [Readings, GridStatus, Weather];

    /// <summary>The per-meter aggregate tables, shortest interval first.</summary>
    public static IReadOnlyList<TableSpec> MeterAggregates { get; } = [Readings15Min, ReadingsHourly, ReadingsDaily];

    public static IReadOnlyList<TableSpec> All { get; } =
        [Readings, Registers, Gas, GridStatus, Weather, Quarantine, Readings15Min, ReadingsHourly, ReadingsDaily, GridStatusHourly, WeatherHourly];

    /// <summary>Names reserved for the tables later stages fill; the lake and docs already keep them free.</summary>
    public static IReadOnlyList<string> Reserved { get; } = ["solar"];

    public static TableSpec? Find(string name)
    {
        foreach (var t in All)
            if (string.Equals(t.Name, name, StringComparison.Ordinal)) return t;
        return null;
    }
}
