using BenchmarkDotNet.Running;

namespace Metrify.Bench;

public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "alloc") return Pipeline.StageBreakdown.Allocations(args[1..]);
        if (args.Length > 0 && args[0] == "stages") return Pipeline.StageBreakdown.Run(args[1..]);
        if (args.Length > 0 && args[0] == "encode-variants") return Pipeline.EncodeVariants.Run(args[1..]);
        if (args.Length > 0 && args[0] == "frames-ab") return Frames.FramesAb.Run(args[1..]);
        if (args.Length > 0 && args[0] == "frames-loop") return Frames.MeterFrameBench.Loop(args[1..]);
        if (args.Length > 0 && args[0] == "daemon") return Daemon.DaemonBench.Run(args[1..]);
        if (args.Length > 0 && args[0] == "compare") return Comparison.EndToEndComparison.Run(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
