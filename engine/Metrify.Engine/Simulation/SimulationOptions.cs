namespace Metrify.Engine.Simulation;

public enum SimulationFormat
{
    Csv,
    JsonLines,
    /// <summary>Readings as DSMR 5 P1 telegrams (readings.p1); grid status and weather have no frame format.</summary>
    P1,
    /// <summary>Readings as SML 1.04 frames (readings.sml.bin).</summary>
    Sml,
}

/// <summary>Injected fault rates: the probability that a given record gets the fault.</summary>
public sealed record FaultRates
{
    /// <summary>The reading is not written at all.</summary>
    public double Gap { get; init; } = 0.001;
    /// <summary>The reading is written twice, identically.</summary>
    public double Duplicate { get; init; } = 0.001;
    /// <summary>20 to 50 times the meter's mean interval consumption is added to the reading.</summary>
    public double Spike { get; init; } = 0.0005;
    /// <summary>The record is written broken (bad number, bad timestamp, missing field or garbage).</summary>
    public double Malformed { get; init; } = 0.0005;
    /// <summary>The timestamp is moved ten years ahead.</summary>
    public double Future { get; init; } = 0.0002;
    /// <summary>The reading is written an hour late (after the meter's next four readings), its time unchanged.</summary>
    public double Late { get; init; }
    /// <summary>The meter is swapped: its registers start again from zero (P1 and SML; CSV and JSON carry no registers).</summary>
    public double Reset { get; init; }

    public static FaultRates None { get; } = new() { Gap = 0, Duplicate = 0, Spike = 0, Malformed = 0, Future = 0, Late = 0, Reset = 0 };
}

public sealed record SimulationOptions
{
    public ulong Seed { get; init; } = 42;
    public int Meters { get; init; } = 1000;
    public int Days { get; init; } = 7;
    /// <summary>First reading instant (UTC); a Monday, so weekly shapes line up.</summary>
    public DateTime Start { get; init; } = new(2026, 1, 5, 0, 0, 0, DateTimeKind.Utc);
    public int IntervalMinutes { get; init; } = 15;
    public int WeatherStations { get; init; } = 20;
    /// <summary>Share of meters with PV panels that export.</summary>
    public double PvShare { get; init; } = 0.25;
    public IReadOnlyList<SimulationFormat> Formats { get; init; } = [SimulationFormat.Csv, SimulationFormat.JsonLines];
    public FaultRates Faults { get; init; } = new();
    public string OutputDirectory { get; init; } = "data";

    public IEnumerable<string> Validate()
    {
        if (Meters < 1 || Meters > 10_000_000) yield return $"--meters must be between 1 and 10000000 (is {Meters}).";
        if (Days < 1 || Days > 3660) yield return $"--days must be between 1 and 3660 (is {Days}).";
        if (IntervalMinutes < 1 || 1440 % IntervalMinutes != 0) yield return $"--interval-minutes must divide a day (is {IntervalMinutes}).";
        if (WeatherStations < 0 || WeatherStations > WeatherModel.Stations.Length) yield return $"--stations must be between 0 and {WeatherModel.Stations.Length}.";
        if (Formats.Count == 0) yield return "--format needs at least one of csv, jsonl, p1, sml.";
        foreach (var (name, rate) in new[] { ("gap", Faults.Gap), ("duplicate", Faults.Duplicate), ("spike", Faults.Spike), ("malformed", Faults.Malformed), ("future", Faults.Future), ("late", Faults.Late), ("reset", Faults.Reset) })
            if (rate is < 0 or > 0.5 || double.IsNaN(rate)) yield return $"--{name}-rate must be between 0 and 0.5 (is {rate}).";
    }
}
