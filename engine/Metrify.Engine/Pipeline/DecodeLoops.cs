using System.Reflection;
using System.Runtime.CompilerServices;
using Metrify.Engine.Frames.Csv;
using Metrify.Engine.Frames.Json;

namespace Metrify.Engine.Pipeline;

/// <summary>
/// The CSV and JSON lines decode loops are left to the JIT, for this CPU (docs/design.md, runtime settings), and the
/// JIT compiles a method on its first call: about a tenth of a second in which every decoding thread waits. An
/// ingest that knows its likely format starts that compilation on a spare thread while it still loads its settings
/// and plans its segments, so the decoders find the code ready.
/// </summary>
public static class DecodeLoops
{
    /// <summary>Compiles the loops of <paramref name="format"/> on a background thread; other formats have none.</summary>
    public static void CompileAhead(InputFormat? format)
    {
        var loops = format switch
        {
            InputFormat.Csv => CsvDecoder.HotLoops,
            InputFormat.JsonLines => JsonLinesDecoder.HotLoops,
            _ => [],
        };
        if (loops.Length == 0) return;
        new Thread(() =>
        {
            foreach (var loop in loops) RuntimeHelpers.PrepareMethod(loop.MethodHandle);
        }) { IsBackground = true, Name = "metrify-jit" }.Start();
    }

    internal static MethodInfo Find(Type type, string name) =>
        type.GetMethod(name, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
        ?? throw new MissingMethodException(type.Name, name);
}
