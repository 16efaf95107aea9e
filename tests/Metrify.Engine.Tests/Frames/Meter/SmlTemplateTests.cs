using Metrify.Engine.Frames.Meter;
using static Metrify.Engine.Tests.Frames.Meter.MeterHarness;
using static Metrify.Engine.Tests.Frames.Meter.SmlBuilder;

namespace Metrify.Engine.Tests.Frames.Meter;

/// <summary>
/// The SML decoder reads a frame shaped like the last one it decoded in full from that frame's template (only the
/// numbers that change are read again). Whatever changed, a frame must decode exactly as it does alone.
/// </summary>
public class SmlTemplateTests
{
    [Fact]
    public void A_frame_decodes_in_a_stream_exactly_as_alone_whatever_changed_since_the_last()
    {
        var random = new Random(3);
        var frames = new List<byte[]>();
        for (int i = 0; i < 300; i++)
        {
            // Mostly numbers change (the template fits); sometimes a width, unit, scaler, name or status presence.
            int shape = random.Next(10);
            int width = shape == 0 ? 5 : 4, unit = shape == 1 ? 27 : 30, scaler = shape == 2 ? 0 : -1;
            var name = shape == 3 ? Obis(1, 0, 2, 8, 0) : Obis(1, 0, 1, 8, 0);
            ulong? status = shape == 4 ? null : (ulong)random.Next(0, 1 << 20);
            long seconds = random.Next();
            frames.Add(File(s =>
            {
                s.Entry(name, unit, scaler, v => v.Unsigned((ulong)random.Next(), width), status: status);
                s.Entry(Obis(1, 0, 16, 7, 0), 27, 0, v => v.Integer(random.Next(-5000, 5000), 2));
                s.Entry(Obis(129, 129, 199, 130, 3), -1, 0, v => v.Octets("EMH"u8.ToArray()));
            }, 3, t => t.List(2).Unsigned(1, 1).Unsigned((ulong)seconds, 4)).Frame());
        }
        // A frame shaped like the others whose message CRC no longer fits its value (the transport CRC does).
        var bad = frames[^1].ToArray();
        int at = bad.AsSpan().IndexOf(new byte[] { 0x62, 0x1B, 0x52, 0x00, 0x53 }) + 5; // the power value
        bad[at] ^= 0x01;
        ushort crc = Crc16.X25(bad.AsSpan(0, bad.Length - 2));
        (bad[^2], bad[^1]) = ((byte)crc, (byte)(crc >> 8));
        frames.Add(bad);
        frames.Add(frames[^2]);

        var together = Decode(frames.SelectMany(f => f).ToArray(), MeterFrameFormat.Sml);
        var alone = frames.Select(f => Decode(f, MeterFrameFormat.Sml)).ToList();
        Assert.Equal(frames.Count - 1, together.Stats.FramesAccepted);
        Assert.Equal(1, together.Stats.FramesQuarantined);
        Assert.Equal(1, alone.Sum(d => d.Quarantine.Count));
        AssertSameRows(alone.SelectMany(d => d.Readings.Rows), together.Readings.Rows);
        AssertSameRows(alone.SelectMany(d => d.Registers.Rows), together.Registers.Rows);
        Assert.True(together.Readings.Rows.Select(r => r["import_power_kw"]).Distinct().Count() > 100);
    }

    /// <summary>A frame the template fits is framed by it (see SmlFrameDecoder.FrameFromTemplate): values that hold
    /// 0x1B bytes or a whole escape sequence (sent doubled), cut-off frames and garbage between frames must still be
    /// framed exactly as the framer frames them.</summary>
    [Fact]
    public void Frames_with_escape_bytes_cut_off_frames_and_garbage_are_framed_as_the_framer_frames_them()
    {
        var random = new Random(7);
        ulong[] tricky = [0x1B1B1B1B, 0x1B1B1B00, 0x001B1B1B, 0x1B, 0x1B000000, 0x1B1B0000];
        var parts = new List<byte[]>();
        var frames = new List<byte[]>();
        for (int i = 0; i < 200; i++)
        {
            ulong value = random.Next(4) == 0 ? tricky[random.Next(tricky.Length)] : (ulong)random.Next();
            ulong seconds = random.Next(8) == 0 ? tricky[random.Next(tricky.Length)] : (ulong)random.Next();
            var frame = File(s =>
            {
                s.Entry(Obis(129, 129, 199, 130, 3), -1, 0, v => v.Octets("EMHX"u8.ToArray()));
                s.Entry(Obis(1, 0, 1, 8, 0), 30, -1, v => v.Unsigned(value, 4), status: (ulong)random.Next(0, 1 << 20));
                s.Entry(Obis(1, 0, 16, 7, 0), 27, 0, v => v.Integer(random.Next(-5000, 5000), 2));
            }, 3, t => t.List(2).Unsigned(1, 1).Unsigned(seconds, 4)).Frame();
            switch (random.Next(12))
            {
                case 0: // cut off, then the next frame; not right after the end escape's first four bytes, where the
                        // next start reads as an escaped 1B1B1B1B in the payload (as libsml reads it too)
                    int cut = random.Next(1, frame.Length - 1);
                    parts.Add(frame[..(cut == frame.Length - 4 ? cut - 1 : cut)]);
                    break;
                case 1: parts.Add([0x00, 0x1B, 0x1B, 0x1B, 0x1B, 0x42, (byte)random.Next(256)]); break; // garbage
            }
            parts.Add(frame);
            frames.Add(frame);
        }

        // A sender that fails to double an aligned 1B1B1B1B in a value: the framer reads an unknown escape there,
        // so the template, whose free bytes may not be 0x1B, must not frame it either.
        var unescaped = frames[^1].ToArray();
        int at = Enumerable.Range(0, unescaped.Length - 4).First(p => unescaped[p] == 0x65 && (p + 1) % 4 == 0) + 1;
        unescaped.AsSpan(at, 4).Fill(0x1B);
        ushort crc = Crc16.X25(unescaped.AsSpan(0, unescaped.Length - 2));
        (unescaped[^2], unescaped[^1]) = ((byte)crc, (byte)(crc >> 8));
        parts.Add(unescaped);
        parts.Add(frames[^1]);
        frames.Add(frames[^1]);

        var stream = parts.SelectMany(p => p).ToArray();
        var alone = frames.Select(f => Decode(f, MeterFrameFormat.Sml)).ToList();
        foreach (int chunk in new[] { 4096, 61 })
        {
            var together = Decode(stream, MeterFrameFormat.Sml, chunk);
            Assert.Equal(frames.Count, alone.Sum(d => d.Stats.FramesAccepted));
            Assert.Equal(frames.Count, together.Stats.FramesAccepted);
            AssertSameRows(alone.SelectMany(d => d.Readings.Rows), together.Readings.Rows);
            AssertSameRows(alone.SelectMany(d => d.Registers.Rows), together.Registers.Rows);
            Assert.Equal(stream.Length, together.Stats.BytesAccepted + together.Stats.BytesQuarantined + together.Stats.BytesSkipped);
            var unescapedAlone = Decode(unescaped, MeterFrameFormat.Sml);
            Assert.Equal(0, unescapedAlone.Stats.FramesAccepted);
            Assert.Equal(unescapedAlone.Quarantine.Rows.Select(r => r["reason"]), together.Quarantine.Rows.Select(r => r["reason"]).Where(r => r is not "truncated_frame"));
        }
    }
}
