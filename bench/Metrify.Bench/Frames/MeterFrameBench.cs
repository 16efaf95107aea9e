using BenchmarkDotNet.Attributes;
using Metrify.Engine.Columnar;
using Metrify.Engine.Frames;
using Metrify.Engine.Frames.Meter;

namespace Metrify.Bench.Frames;

/// <summary>
/// Full decode of real meter captures, repeated: framing, checksums, every value into readings, registers and gas
/// batches. One operation is one frame. The reader, its batches and scratch buffers are reused across invocations,
/// as they are across a daemon's lifetime, so the allocation column is the steady-state cost per frame.
/// </summary>
[MemoryDiagnoser, MinColumn, MedianColumn]
public class MeterFrameBench
{
    private const int P1Repeats = 40, SmlRepeats = 40;
    public const int P1Frames = 566 * P1Repeats, SmlFrames = 878 * SmlRepeats;

    private byte[] _p1 = [], _sml = [];
    private readonly List<ColumnBatchPool> _pools = new();
    private MeterFrameReader _p1Reader = null!, _smlReader = null!;

    [GlobalSetup]
    public void Setup()
    {
        var p1 = File.ReadAllBytes(Capture("streams/dsmr5-basjes-stream.txt"));
        var firstTelegram = p1.AsSpan().IndexOf("\r\n/"u8) + 2; // the capture starts mid-telegram
        _p1 = Repeat(p1[firstTelegram..], P1Repeats);
        var hex = new string(File.ReadAllText(Capture("streams/sml-apollon77-stream.hex")).Where(char.IsAsciiHexDigit).ToArray());
        _sml = Repeat(Convert.FromHexString(hex), SmlRepeats);
        _p1Reader = Reader(MeterFrameFormat.P1);
        _smlReader = Reader(MeterFrameFormat.Sml);
    }

    private MeterFrameReader Reader(MeterFrameFormat format)
    {
        ColumnBatchPool Pool(TableSpec t) { var p = new ColumnBatchPool(t, 65_536, 4); _pools.Add(p); return p; }
        var (r, g, m, q) = (Pool(Tables.Readings), Pool(Tables.Registers), Pool(Tables.Gas), Pool(Tables.Quarantine));
        var output = new MeterFrameOutput(new TableAppender(r, new RecycleSink(r)), new TableAppender(g, new RecycleSink(g)),
            new TableAppender(m, new RecycleSink(m)), new QuarantineCollector("bench", q, new RecycleSink(q)), 0);
        return new MeterFrameReader(format, new MeterFrameOptions(), output);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var p in _pools) p.Dispose();
    }

    [Benchmark(OperationsPerInvoke = P1Frames)]
    public long Dsmr5Telegrams() => Feed(_p1Reader, _p1);

    [Benchmark(OperationsPerInvoke = SmlFrames)]
    public long SmlFrames_() => Feed(_smlReader, _sml);

    /// <summary>In 1 MiB reads, as the pipe hands them over; a frame cut by a read is offered again with the next.</summary>
    private static long Feed(MeterFrameReader reader, byte[] data)
    {
        for (int at = 0; at < data.Length;)
        {
            int end = Math.Min(data.Length, at + (1 << 20));
            at += reader.Process(data.AsSpan(at, end - at), isFinal: end == data.Length);
        }
        return reader.Stats.FramesAccepted;
    }

    /// <summary>A plain timed loop for profiling under perf (<c>frames-loop p1|sml SECONDS</c>); BenchmarkDotNet gives the reported numbers.</summary>
    public static int Loop(string[] args)
    {
        var bench = new MeterFrameBench();
        bench.Setup();
        bool sml = args.Length > 0 && args[0] == "sml";
        double seconds = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long frames = 0;
        double cpu0 = ThreadCpuSeconds();
        while (clock.Elapsed.TotalSeconds < seconds) frames += sml ? SmlFrames + 0 * bench.SmlFrames_() : P1Frames + 0 * bench.Dsmr5Telegrams();
        double cpu = ThreadCpuSeconds() - cpu0;
        Console.WriteLine($"{(sml ? "SML" : "P1")}: {frames / clock.Elapsed.TotalSeconds:N0} frames/s, {cpu * 1e9 / frames:N0} ns of the thread's CPU a frame");
        bench.Cleanup();
        return 0;
    }

    private static MeterFrameBench? s_ab;
    private static bool s_abSml;

    /// <summary>For <see cref="FramesAb"/>: sets up this build's reader over the capture.</summary>
    public static void PrepareAb(bool sml)
    {
        s_ab = new MeterFrameBench();
        s_ab.Setup();
        s_abSml = sml;
    }

    /// <summary>For <see cref="FramesAb"/>: one pass over the repeated capture; the thread's CPU nanoseconds a frame.</summary>
    public static double PassAb()
    {
        double cpu0 = ThreadCpuSeconds();
        long frames = s_abSml ? SmlFrames + 0 * s_ab!.SmlFrames_() : P1Frames + 0 * s_ab!.Dsmr5Telegrams();
        return (ThreadCpuSeconds() - cpu0) * 1e9 / frames;
    }

    /// <summary>CPU time of the calling thread (clock_gettime's thread clock, in nanoseconds: getrusage counts in
    /// scheduler ticks): less disturbed by a busy host than the wall clock.</summary>
    internal static double ThreadCpuSeconds()
    {
        if (!OperatingSystem.IsLinux()) return 0;
        Span<long> time = stackalloc long[2];
        unsafe { fixed (long* t = time) if (clock_gettime(3 /* CLOCK_THREAD_CPUTIME_ID */, t) != 0) return 0; }
        return time[0] + time[1] / 1e9;
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern unsafe int clock_gettime(int clock, long* time);

    private static byte[] Repeat(byte[] data, int times)
    {
        var all = new byte[data.Length * times];
        for (int i = 0; i < times; i++) data.CopyTo(all, i * data.Length);
        return all;
    }

    public static string Capture(string name)
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !Directory.Exists(Path.Combine(dir, "tests", "conformance"))) dir = Path.GetDirectoryName(dir);
        return Path.Combine(dir ?? throw new DirectoryNotFoundException("tests/conformance above " + AppContext.BaseDirectory),
            "tests", "conformance", "meter-frames", name);
    }
}

/// <summary>The frame checksums over 64 KiB of data: one operation is one byte.</summary>
public class Crc16Bench
{
    private const int Bytes = 64 * 1024;
    private readonly byte[] _data = new byte[Bytes];

    [GlobalSetup]
    public void Setup() => new Random(1).NextBytes(_data);

    [Benchmark(OperationsPerInvoke = Bytes)]
    public ushort Arc() => Crc16.Arc(_data);

    [Benchmark(OperationsPerInvoke = Bytes)]
    public ushort X25() => Crc16.X25(_data);
}
