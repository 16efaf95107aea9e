using System.CommandLine;
using System.Globalization;
using Metrify.Connectors.Kafka;
using Metrify.Engine.Pipeline;
using Metrify.Engine.Simulation;

namespace Metrify.Cli.Commands;

/// <summary><c>metrify simulate</c>: a deterministic fleet with injected faults, as CSV, JSON lines, P1 telegrams or SML frames.</summary>
internal static class SimulateCommand
{
    public static Command Create(TextWriter stdout)
    {
        var defaults = new SimulationOptions();
        var rates = defaults.Faults;
        var output = new Option<string>("--output", "-o") { Description = "Folder to write into.", DefaultValueFactory = _ => defaults.OutputDirectory };
        var seed = new Option<ulong>("--seed") { Description = "Seed; the same seed gives the same bytes.", DefaultValueFactory = _ => defaults.Seed };
        var meters = new Option<int>("--meters") { Description = "Number of electricity meters.", DefaultValueFactory = _ => defaults.Meters };
        var days = new Option<int>("--days") { Description = "Days of data.", DefaultValueFactory = _ => defaults.Days };
        var start = new Option<string>("--start") { Description = "First instant, UTC (yyyy-MM-dd).", DefaultValueFactory = _ => defaults.Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) };
        var interval = new Option<int>("--interval-minutes") { Description = "Reading interval.", DefaultValueFactory = _ => defaults.IntervalMinutes };
        var stations = new Option<int>("--stations") { Description = "Weather stations (up to 20).", DefaultValueFactory = _ => defaults.WeatherStations };
        var pv = new Option<double>("--pv-share") { Description = "Share of meters with PV export.", DefaultValueFactory = _ => defaults.PvShare };
        var format = new Option<string[]>("--format") { Description = "csv, jsonl, p1 (DSMR 5 telegrams) and/or sml (SML 1.04 frames); p1 and sml hold readings only.", DefaultValueFactory = _ => ["csv", "jsonl"], AllowMultipleArgumentsPerToken = true };
        var noFaults = new Option<bool>("--no-faults") { Description = "Inject no faults." };
        var gap = new Option<double>("--gap-rate") { Description = "Share of readings left out.", DefaultValueFactory = _ => rates.Gap };
        var dup = new Option<double>("--duplicate-rate") { Description = "Share of readings written twice.", DefaultValueFactory = _ => rates.Duplicate };
        var spike = new Option<double>("--spike-rate") { Description = "Share of readings with a consumption spike.", DefaultValueFactory = _ => rates.Spike };
        var bad = new Option<double>("--malformed-rate") { Description = "Share of records written broken.", DefaultValueFactory = _ => rates.Malformed };
        var future = new Option<double>("--future-rate") { Description = "Share of readings stamped ten years ahead.", DefaultValueFactory = _ => rates.Future };
        var late = new Option<double>("--late-rate") { Description = "Share of readings written an hour late.", DefaultValueFactory = _ => rates.Late };
        var reset = new Option<double>("--reset-rate") { Description = "Share of readings where the meter is swapped and its registers restart from zero (p1, sml).", DefaultValueFactory = _ => rates.Reset };
        var to = new Option<string?>("--to") { Description = "Also produce the readings into Kafka: kafka://HOST:PORT/TOPIC (keyed by meter id)." };
        var perMessage = new Option<int>("--per-message") { Description = "With --to: readings of one meter per Kafka message.", DefaultValueFactory = _ => 1 };

        var command = new Command("simulate", "Write a realistic, deterministic data set with known injected faults.")
        {
            output, seed, meters, days, start, interval, stations, pv, format, noFaults, gap, dup, spike, bad, future, late, reset, to, perMessage,
        };
        command.SetAction(parse =>
        {
            if (!DateTime.TryParseExact(parse.GetValue(start), "yyyy-MM-dd", CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var startDate))
                throw new OperatorException($"--start: '{parse.GetValue(start)}' is not a date (yyyy-MM-dd).");
            var formats = new List<SimulationFormat>();
            foreach (var f in parse.GetValue(format)!.SelectMany(f => f.Split(',', StringSplitOptions.RemoveEmptyEntries)))
                formats.Add(f.Trim().ToLowerInvariant() switch
                {
                    "csv" => SimulationFormat.Csv,
                    "jsonl" or "json" => SimulationFormat.JsonLines,
                    "p1" => SimulationFormat.P1,
                    "sml" => SimulationFormat.Sml,
                    _ => throw new OperatorException($"--format: '{f}' is not one of csv, jsonl, p1, sml."),
                });
            var options = new SimulationOptions
            {
                OutputDirectory = parse.GetValue(output)!,
                Seed = parse.GetValue(seed),
                Meters = parse.GetValue(meters),
                Days = parse.GetValue(days),
                Start = startDate,
                IntervalMinutes = parse.GetValue(interval),
                WeatherStations = parse.GetValue(stations),
                PvShare = parse.GetValue(pv),
                Formats = formats.Distinct().ToList(),
                Faults = parse.GetValue(noFaults) ? FaultRates.None : new FaultRates
                {
                    Gap = parse.GetValue(gap), Duplicate = parse.GetValue(dup), Spike = parse.GetValue(spike),
                    Malformed = parse.GetValue(bad), Future = parse.GetValue(future), Late = parse.GetValue(late), Reset = parse.GetValue(reset),
                },
            };
            var target = parse.GetValue(to) is { } t ? KafkaFleetProducer.ParseTarget(t) : default((string Servers, string Topic)?);
            if (target is not null && !options.Formats.Contains(SimulationFormat.JsonLines))
                options = options with { Formats = [.. options.Formats, SimulationFormat.JsonLines] }; // what is produced
            var result = new FleetSimulator(options).Run();
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"simulated {result.Readings:N0} readings, {result.GridStatus:N0} grid status and {result.Weather:N0} weather records in {result.Elapsed.TotalSeconds:F1} s into {Path.GetFullPath(options.OutputDirectory)}"));
            stdout.WriteLine("faults injected: " + string.Join(", ", result.Faults.Select(kv => $"{kv.Key} {kv.Value:N0}")) + " (see faults.csv, manifest.json)");
            if (target is { } k)
            {
                var produced = KafkaFleetProducer.Produce(Path.Combine(options.OutputDirectory, "readings.jsonl"), k.Servers, k.Topic, parse.GetValue(perMessage));
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"produced {produced.Records:N0} readings in {produced.Messages:N0} messages ({produced.Bytes / 1e6:F1} MB) to {k.Topic} at {k.Servers} in {produced.Elapsed.TotalSeconds:F1} s"));
            }
            return CliErrors.Ok;
        });
        return command;
    }
}
