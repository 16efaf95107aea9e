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
}
