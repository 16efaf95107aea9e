using System.Diagnostics;
using Metrify.Connectors.DuckDb;

namespace Metrify.Cli.Tests;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the real CLI in-process and gives each test its own folder. With <c>METRIFY_CLI</c> naming an
/// executable (the native build, as <c>scripts/test.sh</c> sets it), every command runs that as a process instead.</summary>
public static class CliRunner
{
    public static readonly string? Executable = Environment.GetEnvironmentVariable("METRIFY_CLI");

    public static CliResult Run(params string[] args)
    {
        if (Executable is not null) return RunProcess(Executable, args);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    private static CliResult RunProcess(string executable, string[] args)
    {
        var info = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return new CliResult(process.ExitCode, stdout, stderr.Result);
    }

    public static CliResult Ok(params string[] args)
    {
        var r = Run(args);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}\n{r.Stdout}");
        return r;
    }

    public static string TempDir() => Directory.CreateTempSubdirectory("metrify-cli-").FullName;

    /// <summary>A simulated fleet in one format with every fault kind injected (1 % gaps and duplicates, 0.5 %
    /// spikes, 0.2 % future stamps, broken records and late readings, 0.1 % meter swaps), then ingested into
    /// <paramref name="lake"/>; returns the folder holding the data and its faults.csv.</summary>
    public static string SimulateFaultyAndIngest(string dir, string lake, string format, int meters, int days, int seed)
    {
        var data = Path.Combine(dir, "data");
        Ok("simulate", "-o", data, "--meters", $"{meters}", "--days", $"{days}", "--format", format, "--seed", $"{seed}",
            "--gap-rate", "0.01", "--duplicate-rate", "0.01", "--spike-rate", "0.005", "--future-rate", "0.002", "--malformed-rate", "0.002",
            "--late-rate", "0.002", "--reset-rate", "0.001");
        var file = format switch { "p1" => "readings.p1", "sml" => "readings.sml.bin", _ => $"readings.{format}" };
        Ok("ingest", Path.Combine(data, file), "--lake", lake);
        return data;
    }

    public static string RepoRoot() => Conformance.RepoRoot();

    public static T Scalar<T>(string lake, string sql)
    {
        using var duck = new DuckDbLake(lake);
        return duck.Scalar<T>(sql);
    }

    public static List<object?[]> Rows(string lake, string sql)
    {
        using var duck = new DuckDbLake(lake);
        using var reader = duck.Query(sql);
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                if (row[i] is Stream blob) // DuckDB hands out blobs as views valid only until the next row
                {
                    using var copy = new MemoryStream();
                    blob.CopyTo(copy);
                    row[i] = copy.ToArray();
                }
            }
            rows.Add(row);
        }
        return rows;
    }
}
