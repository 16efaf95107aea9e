using System.Reflection;
using Metrify.Engine.Frames.Csv;
using Metrify.Engine.Frames.Json;
using Metrify.Engine.Pipeline;

namespace Metrify.Engine.Tests.Frames;

public class DecodeLoopsTests
{
    [Fact]
    public void The_loops_compiled_ahead_are_the_ones_left_to_the_JIT()
    {
        // The loops left out of the ReadyToRun image carry AggressiveOptimization; the list compiled ahead must be
        // exactly those, or a renamed loop would be compiled on the decoding threads again.
        foreach (var type in new[] { typeof(CsvDecoder), typeof(JsonLinesDecoder) })
        {
            var marked = type.GetMethods(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                .Where(m => m.MethodImplementationFlags.HasFlag(MethodImplAttributes.AggressiveOptimization))
                .Select(m => m.Name).Order().ToList();
            var ahead = (type == typeof(CsvDecoder) ? CsvDecoder.HotLoops : JsonLinesDecoder.HotLoops).Select(m => m.Name).Order().ToList();
            Assert.NotEmpty(marked);
            Assert.Equal(marked, ahead);
        }
    }

    [Fact]
    public void Compiling_ahead_is_harmless_for_every_format()
    {
        foreach (var format in Enum.GetValues<InputFormat>()) DecodeLoops.CompileAhead(format);
        DecodeLoops.CompileAhead(null);
    }
}
