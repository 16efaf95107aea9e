using System.Security.Cryptography;
using Metrify.Engine.Simulation;

namespace Metrify.Engine.Tests.Simulation;

public class FleetSimulatorTests
{
    private static string Run(ulong seed, string dir, FaultRates? faults = null)
    {
        new FleetSimulator(new SimulationOptions { Seed = seed, Meters = 50, Days = 2, OutputDirectory = dir, Faults = faults ?? new FaultRates { Malformed = 0.01, Gap = 0.01, Duplicate = 0.01 } }).Run();
        return dir;
    }

    private static string Hash(string file) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));

    [Fact]
    public void The_same_seed_gives_the_same_bytes_and_another_seed_does_not()
    {
        var root = Directory.CreateTempSubdirectory("metrify-sim-").FullName;
        var a = Run(7, Path.Combine(root, "a"));
        var b = Run(7, Path.Combine(root, "b"));
        var c = Run(8, Path.Combine(root, "c"));
        foreach (var f in new[] { "readings.csv", "readings.jsonl", "grid_status.csv", "weather.jsonl", "meters.csv", "faults.csv", "manifest.json" })
            Assert.Equal(Hash(Path.Combine(a, f)), Hash(Path.Combine(b, f)));
        Assert.NotEqual(Hash(Path.Combine(a, "readings.csv")), Hash(Path.Combine(c, "readings.csv")));
        Directory.Delete(root, true);
    }

    [Fact]
    public void Every_logged_fault_is_where_the_log_says()
    {
        var dir = Run(3, Directory.CreateTempSubdirectory("metrify-sim-").FullName);
        var csv = File.ReadAllLines(Path.Combine(dir, "readings.csv"));
        var jsonl = File.ReadAllLines(Path.Combine(dir, "readings.jsonl"));
        var faults = File.ReadAllLines(Path.Combine(dir, "faults.csv")).Skip(1).Select(l => l.Split(',')).Where(f => f[1] == "readings").ToList();
        Assert.Contains(faults, f => f[0] == "malformed");
        Assert.Contains(faults, f => f[0] == "duplicate");
        foreach (var f in faults)
        {
            if (f[0] == "gap")
            {
                Assert.DoesNotContain(csv, l => l.StartsWith($"{f[2]},{f[3]},", StringComparison.Ordinal));
                continue;
            }
            long csvLine = long.Parse(f[5]), jsonLine = long.Parse(f[6]);
            if (f[0] == "duplicate") Assert.Equal(csv[csvLine - 1], csv[csvLine - 2]);
            if (f[0] == "malformed" && f[4] != "garbage_line" && f[4] != "empty_key") Assert.StartsWith(f[2], csv[csvLine - 1]);
            if (f[0] == "malformed" && f[4] == "garbage_line") Assert.StartsWith("#garbage", jsonl[jsonLine - 1]);
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Without_faults_every_meter_reports_every_interval()
    {
        var dir = Run(1, Directory.CreateTempSubdirectory("metrify-sim-").FullName, FaultRates.None);
        Assert.Equal(1 + 50 * 2 * 96, File.ReadAllLines(Path.Combine(dir, "readings.csv")).Length);
        Assert.Equal(2 * 1440 * 4, File.ReadAllLines(Path.Combine(dir, "grid_status.jsonl")).Length);
        Assert.Equal(2 * 24 * 20, File.ReadAllLines(Path.Combine(dir, "weather.jsonl")).Length);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Invalid_options_are_operator_errors()
    {
        var e = Assert.Throws<Metrify.Engine.Pipeline.OperatorException>(() => new FleetSimulator(new SimulationOptions { IntervalMinutes = 7 }));
        Assert.Contains("--interval-minutes", e.Message);
    }
}
