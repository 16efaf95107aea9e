using Metrify.Engine.Frames.Meter;
using static Metrify.Engine.Tests.Frames.Meter.MeterHarness;

namespace Metrify.Engine.Tests.Frames.Meter;

/// <summary>
/// Mutated real captures (bit flips, truncation, duplication, splicing, random bytes): no exception escapes, nothing
/// hangs, every byte is accepted, quarantined or skipped, quarantined raw bytes never exceed the frame limit, and
/// a checksummed frame that was damaged never yields values the meter did not send.
/// </summary>
public class FrameFuzzTests
{
    private static readonly byte[] P1Stream = Capture("streams/dsmr5-basjes-stream.txt")[..60_000];
    private static readonly byte[] SmlStream = Capture("streams/sml-apollon77-stream.hex")[..40_000];
    private static readonly byte[] Encrypted = Capture("dsmr5lu-athombv-encrypted-1.hex");
    private static readonly MeterFrameOptions Options = new() { MaxFrameBytes = 8192 };

    private static byte[] Mutate(Random r, byte[] input, bool onlyBitFlips)
    {
        var bytes = input.ToList();
        int edits = onlyBitFlips ? r.Next(1, 3) : r.Next(1, 10);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = r.Next(bytes.Count);
            switch (onlyBitFlips ? 0 : r.Next(6))
            {
                case 0: bytes[at] ^= (byte)(1 << r.Next(8)); break;
                case 1: bytes.RemoveRange(at, Math.Min(r.Next(1, 400), bytes.Count - at)); break; // cut out
                case 2: { int from = r.Next(bytes.Count); bytes.InsertRange(at, bytes.GetRange(from, Math.Min(r.Next(1, 900), bytes.Count - from))); break; } // duplicate / splice
                case 3: bytes.InsertRange(at, Enumerable.Range(0, r.Next(1, 50)).Select(_ => (byte)r.Next(256))); break; // random bytes
                case 4: bytes.RemoveRange(at, bytes.Count - at); break; // truncate
                default: bytes.InsertRange(at, Enumerable.Repeat((byte)(r.Next(2) == 0 ? '/' : 0x1B), r.Next(1, 20))); break; // frame markers
            }
        }
        return bytes.ToArray();
    }

    private static HashSet<string> Fingerprints(MeterDecoded d) =>
        d.Readings.Rows.Select(r => string.Join("|", r.OrderBy(kv => kv.Key).Select(kv => kv.Key == "reading_timestamp" && (int)r["quality_flags"]! != 0 ? "" : $"{kv.Value}"))).ToHashSet();

    private static void Check(byte[] input, MeterDecoded d, int max)
    {
        Assert.Equal(input.Length, d.Stats.BytesSeen);
        Assert.Equal(d.Stats.FramesAccepted, d.Readings.Count);
        Assert.Equal(d.Stats.FramesQuarantined, d.Quarantine.Count);
        Assert.All(d.Quarantine.Rows, q => Assert.True(((string)q["raw"]!).Length <= max));
    }

    [Theory]
    [InlineData(MeterFrameFormat.P1)]
    [InlineData(MeterFrameFormat.Sml)]
    [InlineData(MeterFrameFormat.EncryptedP1)]
    public void Mutations_never_crash_and_account_for_every_byte(MeterFrameFormat format)
    {
        var source = format switch { MeterFrameFormat.P1 => P1Stream, MeterFrameFormat.Sml => SmlStream, _ => Encrypted.Concat(Encrypted).ToArray() };
        for (int seed = 0; seed < 150; seed++)
        {
            var r = new Random(seed);
            var input = Mutate(r, source, onlyBitFlips: false);
            var d = Decode(input, format, chunk: r.Next(1, 5000), options: Options);
            Check(input, d, Options.MaxFrameBytes);
        }
    }

    [Theory]
    [InlineData(MeterFrameFormat.P1)]
    [InlineData(MeterFrameFormat.Sml)]
    public void Bit_flips_in_checksummed_frames_never_yield_values_the_meter_did_not_send(MeterFrameFormat format)
    {
        var source = format == MeterFrameFormat.P1 ? P1Stream : SmlStream;
        var original = Fingerprints(Decode(source, format, options: Options));
        for (int seed = 0; seed < 150; seed++)
        {
            var r = new Random(seed);
            var input = Mutate(r, source, onlyBitFlips: true);
            var d = Decode(input, format, chunk: 65536, options: Options);
            Check(input, d, Options.MaxFrameBytes);
            var extra = Fingerprints(d).Except(original).ToList();
            Assert.True(extra.Count == 0, $"seed {seed}: {string.Join("\n", extra)}\nquarantine: {string.Join("; ", d.Quarantine.Rows.Select(q => q["reason"]))}");
        }
    }

    [Fact]
    public void Random_bytes_are_skipped_or_quarantined()
    {
        var r = new Random(3);
        var noise = new byte[300_000];
        r.NextBytes(noise);
        foreach (var format in new[] { MeterFrameFormat.P1, MeterFrameFormat.Sml, MeterFrameFormat.EncryptedP1 })
        {
            var d = Decode(noise, format, chunk: 8192, options: Options);
            Check(noise, d, Options.MaxFrameBytes);
            Assert.Equal(0, d.Readings.Count);
        }
    }
}
