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
        var faults = new Option<string?>("--faults") { Description = "A simulated data set's faults.csv: also report each check's precision and recall against the injected faults." };
        var config = CommonOptions.Config();
        var lake = CommonOptions.Lake();
        var command = new Command("quality", "Report data quality from the lake: flags per rule, quarantine, worst meters, completeness per day.")
        {
            format, worst, faults, config, lake,
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
            var faultsFile = parse.GetValue(faults);
            if (faultsFile is not null && !File.Exists(faultsFile)) throw new OperatorException($"--faults: {faultsFile} does not exist.");
            var sections = Sections(duck, perDay, parse.GetValue(worst));
            if (faultsFile is not null && duck.Views.Contains(Tables.Readings.Name)) sections = sections.Append(FaultSection(Path.GetFullPath(faultsFile)));
            foreach (var (title, sql) in sections)
            {
                if (output == "table") stdout.WriteLine(title);
                try
                {
                    using var reader = duck.Query(sql);
                    QueryCommand.Write(stdout, reader, output);
                }
                catch (DuckDB.NET.Data.DuckDBException e)
                {
                    // A --faults file that is not a simulator's faults.csv, or a lake written by another version.
                    throw new OperatorException($"{title.TrimEnd(':')}: {e.Message.Split('\n')[0]}");
                }
            }
            return CliErrors.Ok;
        });
        return command;
    }

    /// <summary>
    /// Each check against the simulator's injected faults (docs/quality.md defines the measures). A gap is found when
    /// the next reading of its meter is flagged <c>GapBefore</c>; a flag is right when a reading is missing before it
    /// (a gap, a quarantined record, or a reading moved into the future). A duplicate is found when one row of its
    /// meter and instant is left; conflicting-duplicate flags count against precision. A late reading is found when its
    /// row is flagged <c>Late</c>; a meter swap when its row is flagged <c>RegisterDecrease</c> (only rows that carry
    /// registers count: CSV and JSON lines have none).
    /// </summary>
    private static (string Title, string Sql) FaultSection(string faultsFile)
    {
        int gap = (int)QualityFlags.GapBefore, spike = (int)QualityFlags.Spike, future = (int)QualityFlags.FutureTimestamp;
        int conflict = (int)QualityFlags.DuplicateConflict, late = (int)QualityFlags.Late, decrease = (int)QualityFlags.RegisterDecrease;
        string file = faultsFile.Replace("'", "''", StringComparison.Ordinal);
        // A kind told by its own row's flag: a flag on an injected row is right, so found and right flags are one
        // count. Only rows meeting onlyIf count as injected (a swap shows only where registers are sent).
        static string Exact(string kind, int flag, string onlyIf = "")
        {
            string injected = onlyIf.Length == 0 ? $"(SELECT count(*) FROM f WHERE kind = '{kind}')"
                : $"(SELECT count(*) FROM f JOIN r USING (meter_id, ts) WHERE kind = '{kind}'{onlyIf})";
            string found = $"(SELECT count(*) FROM f JOIN r USING (meter_id, ts) WHERE kind = '{kind}'{onlyIf} AND q & {flag} <> 0)";
            return $"SELECT '{kind}', {injected}, (SELECT count(*) FROM r WHERE q & {flag} <> 0), {found}, {found}";
        }
        return ("checks against the injected faults (readings):", string.Create(CultureInfo.InvariantCulture, $"""
            WITH f AS (SELECT kind, "key" AS meter_id, CAST("timestamp" AS TIMESTAMPTZ) AS ts,
                              CAST("timestamp" AS TIMESTAMPTZ) - CASE WHEN kind = 'future' THEN INTERVAL 3652 DAY ELSE INTERVAL 0 DAY END AS due
                       FROM read_csv('{file}', all_varchar = true, header = true) WHERE "table" = 'readings'),
                 r AS (SELECT meter_id, reading_timestamp AS ts, quality_flags AS q,
                              coalesce(import_total_kwh, import_t1_kwh, import_t2_kwh) IS NOT NULL AS registers,
                              CASE WHEN quality_flags & {late} = 0 THEN lag(reading_timestamp) OVER (PARTITION BY meter_id, quality_flags & {late} = 0 ORDER BY reading_timestamp) END AS prev
                       FROM readings),
                 n AS (SELECT meter_id, ts, count(*) AS c FROM r GROUP BY ALL),
                 m AS (
                   SELECT 'gap' AS kind, (SELECT count(*) FROM f WHERE kind = 'gap') AS injected,
                          (SELECT count(*) FROM r WHERE q & {gap} <> 0) AS flagged,
                          (SELECT count(*) FROM f WHERE kind = 'gap' AND EXISTS (SELECT 1 FROM r WHERE r.meter_id = f.meter_id AND r.q & {gap} <> 0 AND f.due > r.prev AND f.due < r.ts)) AS found,
                          (SELECT count(*) FROM r WHERE q & {gap} <> 0 AND EXISTS (SELECT 1 FROM f WHERE f.kind IN ('gap', 'malformed', 'future', 'late') AND f.meter_id = r.meter_id AND f.due > r.prev AND f.due < r.ts)) AS right_flags
                   UNION ALL {Exact("spike", spike)}
                   UNION ALL {Exact("future", future)}
                   UNION ALL {Exact("late", late)}
                   UNION ALL {Exact("reset", decrease, " AND registers")}
                   UNION ALL
                   SELECT 'duplicate', (SELECT count(*) FROM f WHERE kind = 'duplicate'),
                          (SELECT count(*) FROM f JOIN n USING (meter_id, ts) WHERE kind = 'duplicate' AND c = 1) + (SELECT count(*) FROM r WHERE q & {conflict} <> 0),
                          (SELECT count(*) FROM f JOIN n USING (meter_id, ts) WHERE kind = 'duplicate' AND c = 1),
                          (SELECT count(*) FROM f JOIN n USING (meter_id, ts) WHERE kind = 'duplicate' AND c = 1))
            SELECT kind, injected, flagged, found, right_flags,
                   round(CASE WHEN flagged = 0 THEN 1 ELSE right_flags / flagged END, 4) AS "precision",
                   round(CASE WHEN injected = 0 THEN 1 ELSE found / injected END, 4) AS recall
            FROM m ORDER BY kind
            """));
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
