using System.Diagnostics;
using Metrify.Connectors.DuckDb;

namespace Metrify.Bench.Comparison;

public static class EndToEndComparison
{
    public static int Run(string[] args) => 0;

    /// <summary>DuckDB's own CSV to Parquet: the baseline we race.</summary>
    public static int DuckDbCopy(string input, string output, string reader)
    {
        var clock = Stopwatch.StartNew();
        using var duck = new DuckDbLake(Path.GetTempPath());
        duck.Execute($"COPY (SELECT * FROM {reader}({DuckDbLake.Literal(input)})) TO {DuckDbLake.Literal(output)} (FORMAT parquet, COMPRESSION zstd)");
        Console.WriteLine($"duckdb {reader}: {clock.Elapsed.TotalSeconds:F3} s");
        return 0;
    }
}
