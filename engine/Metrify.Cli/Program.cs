using System.CommandLine;
using Metrify.Cli.Commands;

namespace Metrify.Cli;

public static class Program
{
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>The whole CLI, with its output streams passed in so tests can run it in-process.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("Metrify: smart-meter data to a validated Parquet lake, fast.");
        root.Subcommands.Add(SimulateCommand.Create(stdout));
        root.Subcommands.Add(IngestCommand.Create(stdout));
        root.Subcommands.Add(QueryCommand.Create(stdout));
        root.Subcommands.Add(QualityCommand.Create(stdout));
        root.Subcommands.Add(DemoCommand.Create(stdout));
        root.Subcommands.Add(RunCommand.Create(stdout));
        var parsed = root.Parse(args);
        return CliErrors.Guard(stderr, () => parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false }));
    }
}
