using System.CommandLine;
using System.Globalization;
using Metrify.Connectors.DuckDb;
using Metrify.Engine.Columnar;
using Metrify.Engine.Pipeline;

namespace Metrify.Cli.Commands;

/// <summary>
/// <c>metrify quality</c>: a report from the lake: rows and quality flags per table and rule, quarantine per
/// reason, the worst meters, and completeness and quality score per day (docs/quality.md defines the score).
/// </summary>
internal static class QualityCommand
{
    public static Command Create(TextWriter stdout)
    {
        var format = new Option<string>("--format") { Description = "table, csv or json.", DefaultValueFactory = _ => "table" };
        var worst = new Option<int>("--worst") { Description = "How many of the worst meters to list.", DefaultValueFactory = _ => 10 };
        var config = CommonOptions.Config();
        var lake = CommonOptions.Lake();
        var command = new Command("quality", "Report data quality from the lake: flags per rule, quarantine, worst meters, completeness per day.")
        {
            format, worst, config, lake,
        };
        command.SetAction(parse =>
        {
            var settings = CommonOptions.Load(parse, config, lake);
            var output = parse.GetValue(format)!.ToLowerInvariant();
            if (output is not ("table" or "csv" or "json")) throw new OperatorException($"--format: '{output}' is not one of table, csv, json.");
            if (parse.GetValue(worst) is < 1 or > 10_000) throw new OperatorException("--worst must be between 1 and 10000.");
            if (!Directory.Exists(settings.Lake.Root)) throw new OperatorException($"Lake:Root: {Path.GetFullPath(settings.Lake.Root)} does not exist; run metrify ingest first or pass --lake.");
            using var duck = new DuckDbLake(settings.Lake.Root);
            int perDay = 1440 / settings.Quality.ReadingIntervalMinutes;
            foreach (var (title, sql) in Sections(duck, perDay, parse.GetValue(worst)))
            {
                if (output == "table") stdout.WriteLine(title);
                using var reader = duck.Query(sql);
                QueryCommand.Write(stdout, reader, output);
            }
            return CliErrors.Ok;
        });
        return command;
    }

    private static IEnumerable<(string Title, string Sql)> Sections(DuckDbLake duck, int perDay, int worst)
    {
        var flagged = Tables.All.Where(t => t.QualityFlagsIndex >= 0 && duck.Views.Contains(t.Name)).ToList();
        var bits = Enum.GetValues<QualityFlags>().Where(f => f != QualityFlags.None).ToList();
        string Counts(string table) => string.Join(", ", bits.Select(b =>
            $"sum((quality_flags >> {System.Numerics.BitOperations.Log2((uint)b)}) & 1) AS \"{b}\""));
        if (flagged.Count > 0)
            yield return ("rows and quality flags per table (a row can carry several flags):", string.Join(" UNION ALL ", flagged.Select(t =>
                $"SELECT '{t.Name}' AS \"table\", count(*) AS \"rows\", count(*) FILTER (WHERE quality_flags = 0) AS clean, {Counts(t.Name)} FROM {t.Name}")));
        if (duck.Views.Contains(Tables.Quarantine.Name))
            yield return ("quarantine per reason:",
                "SELECT target_table, reason, count(*) AS \"rows\", min(detail) AS example FROM quarantine GROUP BY ALL ORDER BY \"rows\" DESC");
        if (!duck.Views.Contains(Tables.Readings.Name)) yield break;
        // One row per meter and interval instant (duplicates do not earn completeness); rows stamped in the future
        // are counted as flagged rows above but not as days of their own.
        int future = System.Numerics.BitOperations.Log2((uint)QualityFlags.FutureTimestamp);
        string intervals = $"(SELECT meter_id, reading_timestamp, CAST(reading_timestamp AS DATE) AS day, bit_or(quality_flags) = 0 AS clean FROM readings WHERE (quality_flags >> {future}) & 1 = 0 GROUP BY ALL)";
        yield return (string.Create(CultureInfo.InvariantCulture, $"worst {worst} meters by quality score (expected {perDay} readings per meter and day):"),
            string.Create(CultureInfo.InvariantCulture, $"""
                SELECT meter_id, count(*) AS intervals, count(*) FILTER (WHERE NOT clean) AS flagged,
                       count(DISTINCT day) * {perDay} AS expected,
                       round(least(count(*) FILTER (WHERE clean), count(DISTINCT day) * {perDay}) / (count(DISTINCT day) * {perDay}), 4) AS quality_score
                FROM {intervals} GROUP BY meter_id ORDER BY quality_score, meter_id LIMIT {worst}
                """));
        yield return ("completeness and quality score per day (UTC):", string.Create(CultureInfo.InvariantCulture, $"""
            SELECT day, count(DISTINCT meter_id) AS meters, count(*) AS intervals, count(DISTINCT meter_id) * {perDay} AS expected,
                   round(least(count(*), count(DISTINCT meter_id) * {perDay}) / (count(DISTINCT meter_id) * {perDay}), 4) AS completeness,
                   round(least(count(*) FILTER (WHERE clean), count(DISTINCT meter_id) * {perDay}) / (count(DISTINCT meter_id) * {perDay}), 4) AS quality_score
            FROM {intervals} GROUP BY day ORDER BY day
            """));
    }
}
