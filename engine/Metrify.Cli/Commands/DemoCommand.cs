using System.CommandLine;
using Metrify.Connectors.DuckDb;
using Metrify.Engine.Simulation;

namespace Metrify.Cli.Commands;

/// <summary><c>metrify demo</c>: the embedded default end to end: simulate a small fleet, ingest it, answer a query.</summary>
internal static class DemoCommand
{
    public const string DemoQuery = """
        SELECT CAST(reading_timestamp AS DATE) AS day, count(*) AS readings, count(DISTINCT meter_id) AS meters,
               round(sum(consumption_kwh), 1) AS consumption_kwh, round(sum(export_kwh), 1) AS export_kwh,
               round(avg(voltage_v), 1) AS avg_voltage_v
        FROM readings WHERE reading_timestamp <= now() -- the simulator stamps a few readings ten years ahead
        GROUP BY ALL ORDER BY day
        """;

    public static Command Create(TextWriter stdout)
    {
        var data = new Option<string>("--data") { Description = "Folder for the simulated files.", DefaultValueFactory = _ => "demo-data" };
        var meters = new Option<int>("--meters") { Description = "Meters to simulate.", DefaultValueFactory = _ => 500 };
        var days = new Option<int>("--days") { Description = "Days to simulate.", DefaultValueFactory = _ => 3 };
        var config = CommonOptions.Config();
        var lake = CommonOptions.Lake();
        var command = new Command("demo", "Simulate a small fleet, ingest it into the lake and query it.") { data, meters, days, config, lake };
        command.SetAction(parse =>
        {
            var settings = CommonOptions.Load(parse, config, lake);
            var options = new SimulationOptions
            {
                OutputDirectory = parse.GetValue(data)!,
                Meters = parse.GetValue(meters),
                Days = parse.GetValue(days),
                Formats = [SimulationFormat.Csv],
            };
            var simulated = new FleetSimulator(options).Run();
            stdout.WriteLine($"1. simulated {simulated.Readings:N0} readings from {options.Meters} meters over {options.Days} days into {options.OutputDirectory}/");
            var inputs = InputExpander.Expand([options.OutputDirectory]);
            var run = IngestCommand.Run(settings, inputs, null, TextWriter.Null);
            stdout.WriteLine($"2. ingested into {Path.GetFullPath(settings.Lake.Root)}/:");
            IngestReport.Write(stdout, run);
            stdout.WriteLine("3. query: consumption per day, straight from the Parquet lake with DuckDB:");
            using var duck = new DuckDbLake(settings.Lake.Root);
            using var reader = duck.Query(DemoQuery);
            QueryCommand.Write(stdout, reader, "table");
            stdout.WriteLine($"next: dotnet run --project engine/Metrify.Cli -- query \"SELECT * FROM quarantine LIMIT 5\"");
            return CliErrors.Ok;
        });
        return command;
    }
}
