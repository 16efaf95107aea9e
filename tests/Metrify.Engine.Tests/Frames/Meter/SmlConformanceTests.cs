using Metrify.Engine.Columnar;
using Metrify.Engine.Frames.Meter;
using static Metrify.Engine.Tests.Frames.Meter.MeterHarness;

namespace Metrify.Engine.Tests.Frames.Meter;

/// <summary>The real SML capture (878 frames from a "DNT" meter), checked frame by frame.</summary>
public class SmlConformanceTests
{
    [Fact]
    public void Stream_of_878_frames_all_pass_transport_and_message_crcs()
    {
        var bytes = Capture("streams/sml-apollon77-stream.hex");
        foreach (int chunk in new[] { 333, 65536 })
        {
            var d = Decode(bytes, MeterFrameFormat.Sml, chunk);
            Assert.True(878 == d.Readings.Count, $"{d.Readings.Count} readings; {string.Join("; ", d.Quarantine.Rows.Take(3).Select(q => q["reason"] + " " + q["detail"]))}");
            Assert.Equal(0, d.Quarantine.Count);
            Assert.Equal(d.InputBytes, d.Stats.BytesSeen);
            Assert.All(d.Readings.Rows, r => Assert.Equal("1DNT0100008240", r["meter_id"]));
            Assert.All(d.Readings.Rows, r => Assert.Equal((int)QualityFlags.NoMeterClock, r["quality_flags"]));
        }
    }

    [Fact]
    public void First_frame_values()
    {
        var d = Decode(Capture("streams/sml-apollon77-stream.hex"), MeterFrameFormat.Sml);
        var r = d.Readings[0];
        Assert.Equal(4.373, r["export_total_kwh"]); // 0xAAD2 = 43730 × 10^-1 Wh
        Assert.Equal(4.373, r["export_t1_kwh"]);
        Assert.Equal(0.0, r["export_t2_kwh"]);
        Assert.Null(r["import_total_kwh"]);
        var first = d.Registers.Rows.Skip(1).TakeWhile(g => (string?)g["obis"] != "sml:sensor_seconds_index").Prepend(d.Registers[0]).ToList();
        Assert.Equal("DNT", first.Single(g => (string?)g["obis"] == "129-129:199.130.3")["text"]);
        Assert.Equal("0901444E540100002030", first.Single(g => (string?)g["obis"] == "1-0:0.0.9")["text"]);
        var power = first.Single(g => (string?)g["obis"] == "1-0:15.7.0");
        Assert.Equal(0.042, power["value"]);
        Assert.Equal("kW", power["unit"]);
        var key = first.Single(g => (string?)g["obis"] == "129-129:199.130.5");
        Assert.Equal(96, ((string)key["text"]!).Length); // 48-byte public key, multi-byte TL 83 02
        Assert.StartsWith("FEA5D6BC", (string)key["text"]!);
        Assert.Equal(0x010190L, first.Single(g => (string?)g["obis"] == "1-0:2.8.0")["status"]);
        Assert.Equal((double)0x71650A9D, first.Single(g => (string?)g["obis"] == "sml:sensor_seconds_index")["value"]);
    }

    [Fact]
    public void Corrupted_frame_is_quarantined_and_the_next_one_read()
    {
        var bytes = Capture("streams/sml-apollon77-stream.hex");
        int second = bytes.AsSpan(8).IndexOf(SmlFramer.Start) + 8;
        bytes[100] ^= 0x01; // inside the first frame's GetList response
        var d = Decode(bytes[..(second * 2)], MeterFrameFormat.Sml);
        Assert.Equal(1, d.Readings.Count);
        var q = Assert.Single(d.Quarantine.Rows);
        Assert.Equal("bad_checksum", q["reason"]);
        Assert.Equal(0L, q["byte_offset"]);
        Assert.Equal(second, ((string)q["raw"]!).Length);
    }
}
