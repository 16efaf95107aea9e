using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Metrify.Engine.Frames.Text;

namespace Metrify.Engine.Simulation;

/// <summary>What a simulation wrote, and the faults it injected (also written to manifest.json and faults.csv).</summary>
public sealed record SimulationResult(
    IReadOnlyList<string> Files, long Readings, long GridStatus, long Weather,
    IReadOnlyDictionary<string, long> Faults, TimeSpan Elapsed);

/// <summary>
/// A deterministic fleet: meters with master data, 15-minute readings in time order (as a head-end system delivers
/// them), grid status per minute for the four German TSOs and hourly weather for DWD stations, with faults injected
/// at the configured rates and listed one by one in <c>faults.csv</c>.
/// </summary>
public sealed partial class FleetSimulator
{
    public static readonly string[] ReadingColumns =
        ["meter_id", "reading_timestamp", "consumption_kwh", "export_kwh", "voltage_v", "current_a", "power_factor", "frequency_hz"];
    public static readonly string[] GridColumns =
        ["operator_id", "status_timestamp", "grid_frequency_hz", "grid_voltage_kv", "grid_load_mw", "power_generation_mw", "grid_capacity_mw"];
    public static readonly string[] WeatherColumns =
        ["station_id", "observation_timestamp", "temperature_celsius", "humidity_percent", "pressure_hpa", "wind_speed_ms",
         "wind_direction_degrees", "precipitation_mm", "cloud_cover_percent"];

    private readonly SimulationOptions _o;
    private readonly FaultLog _faults;
    private readonly long _startMicros;
    /// <summary>The formats, text ones first: grid status and weather exist only in those, and fault positions line up.</summary>
    private readonly List<SimulationFormat> _formats;

    public FleetSimulator(SimulationOptions options)
    {
        var problems = options.Validate().ToList();
        if (problems.Count > 0) throw new Pipeline.OperatorException(problems[0]);
        _o = options;
        _startMicros = (options.Start.ToUniversalTime() - DateTime.UnixEpoch).Ticks / 10;
        _formats = options.Formats.Distinct().Order().ToList();
        _faults = new FaultLog(_formats);
    }

    public SimulationResult Run(IProgress<double>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(_o.OutputDirectory);
        var files = new List<string>();
        var meters = WriteMeters(files);
        long readings = WriteReadings(meters, files, progress);
        long grid = WriteGrid(files);
        long weather = WriteWeather(files);
        files.Add(_faults.Write(Path.Combine(_o.OutputDirectory, "faults.csv")));
        var manifest = Path.Combine(_o.OutputDirectory, "manifest.json");
        WriteManifest(manifest, readings, grid, weather);
        files.Add(manifest);
        progress?.Report(1);
        return new SimulationResult(files, readings, grid, weather, _faults.Counts, clock.Elapsed);
    }

    private RecordWriter[] Open(string table, string[] columns, List<string> files) =>
        _formats.Where(f => f is SimulationFormat.Csv or SimulationFormat.JsonLines).Select(f =>
        {
            var path = Path.Combine(_o.OutputDirectory, table + (f == SimulationFormat.Csv ? ".csv" : ".jsonl"));
            files.Add(path);
            return new RecordWriter(path, f, columns);
        }).ToArray();

    private MeterInfo[] WriteMeters(List<string> files)
    {
        var meters = new MeterInfo[_o.Meters];
        var path = Path.Combine(_o.OutputDirectory, "meters.csv");
        using var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        w.Write("meter_id,country,city,postal_code,latitude,longitude,manufacturer,model,tariff,installation_date,phases,annual_kwh,pv_kwp,grid_operator\n");
        for (int i = 0; i < meters.Length; i++)
        {
            var m = meters[i] = MeterModel.Meter(_o.Seed, i, _o.PvShare);
            w.Write(string.Create(CultureInfo.InvariantCulture,
                $"{m.MeterId},{m.Country},{m.City},{m.PostalCode},{m.Latitude},{m.Longitude},{m.Manufacturer},{m.Model},{m.Tariff},{m.InstallationDate:yyyy-MM-dd},{m.Phases},{m.AnnualKwh:F0},{m.PvKwp},{m.GridOperator}\n"));
        }
        files.Add(path);
        return meters;
    }

    private void WriteManifest(string path, long readings, long grid, long weather)
    {
        var doc = new Dictionary<string, object>
        {
            ["generator"] = "metrify simulate",
            ["seed"] = _o.Seed,
            ["meters"] = _o.Meters,
            ["days"] = _o.Days,
            ["start"] = _o.Start.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["interval_minutes"] = _o.IntervalMinutes,
            ["weather_stations"] = _o.WeatherStations,
            ["formats"] = _formats.Select(f => f.ToString().ToLowerInvariant().Replace("jsonlines", "jsonl")).ToArray(),
            ["fault_rates"] = new Dictionary<string, double>
            {
                ["gap"] = _o.Faults.Gap, ["duplicate"] = _o.Faults.Duplicate, ["spike"] = _o.Faults.Spike,
                ["malformed"] = _o.Faults.Malformed, ["future"] = _o.Faults.Future, ["late"] = _o.Faults.Late, ["reset"] = _o.Faults.Reset,
            },
            ["records_written"] = new Dictionary<string, long> { ["readings"] = readings, ["grid_status"] = grid, ["weather"] = weather },
            ["faults_injected"] = _faults.Counts,
            ["expected_quarantine"] = _faults.MalformedPerTable,
            ["faults_file"] = "faults.csv",
        };
        File.WriteAllText(path, JsonSerializer.Serialize(doc, ManifestJson.Default.DictionaryStringObject) + "\n");
    }

    private static void Both(RecordWriter[] writers, Action<RecordWriter> write)
    {
        foreach (var w in writers) write(w);
    }

    /// <summary>Approximately standard normal noise from four uniforms: cheap, bounded and deterministic.</summary>
    private static double Noise(ref SimRandom r) =>
        (r.NextDouble() + r.NextDouble() + r.NextDouble() + r.NextDouble() - 2.0) * 1.7320508;

    private static long Scale(double value, int decimals) => (long)Math.Round(value * Pow10(decimals), MidpointRounding.AwayFromZero);

    private static double Pow10(int d) => d switch { 0 => 1, 1 => 10, 2 => 100, 3 => 1000, _ => Math.Pow(10, d) };

    private long Micros(long intervalIndex, int minutesPerStep) => _startMicros + intervalIndex * minutesPerStep * 60 * Utf8Timestamp.MicrosPerSecond;
}
