using Metrify.Engine.Columnar;
using Metrify.Engine.Frames.Meter;
using static Metrify.Engine.Tests.Frames.Meter.MeterHarness;
using static Metrify.Engine.Tests.Frames.Meter.SmlBuilder;

namespace Metrify.Engine.Tests.Frames.Meter;

/// <summary>SML variants from docs/reference (vendor quirks) built byte by byte with correct CRCs.</summary>
public class SmlVariantTests
{
    private const string EmhId = "1EMH0001234567";

    private static MeterDecoded One(byte[] frame, MeterFrameOptions? options = null) => Decode(frame, MeterFrameFormat.Sml, options: options);

    [Fact]
    public void Integers_of_every_width_are_sign_extended_by_their_declared_width()
    {
        var frame = File(s =>
        {
            for (int w = 1; w <= 8; w++) s.Entry(Obis(1, 0, 96, 99, w), 255, 0, v => v.Integer(-2, w));
            for (int w = 1; w <= 7; w++) s.Entry(Obis(1, 0, 96, 98, w), 255, 0, v => v.Unsigned((1UL << (8 * w)) - 1, w));
        }, 15).Frame();
        var d = One(frame);
        for (int w = 1; w <= 8; w++) Assert.Equal(-2.0, Assert.Single(d.Register($"1-0:96.99.{w}"))["value"]);
        for (int w = 1; w <= 7; w++) Assert.Equal((double)((1UL << (8 * w)) - 1), Assert.Single(d.Register($"1-0:96.98.{w}"))["value"]);
        Assert.Equal(EmhId, d.Readings[0]["meter_id"]);
    }

    [Fact]
    public void Emh_integer40_registers_and_dzg_negative_power()
    {
        var frame = File(s =>
        {
            s.Entry(Obis(1, 0, 1, 8, 0), 30, -1, v => v.Integer(123456789012, 5)); // EMH ED300L Integer40, 0.1 Wh
            s.Entry(Obis(1, 0, 16, 7, 0), 27, -2, v => v.Integer(-20000, 2));      // DZG: −200.00 W, exporting
            s.Entry(Obis(1, 0, 36, 7, 0), 27, 0, v => v.Integer(150, 3));          // Unsigned24-sized signed L1
        }, 3).Frame();
        var r = One(frame).Readings[0];
        Assert.Equal(12345678.9012, (double)r["import_total_kwh"]!, 9);
        Assert.Equal(0.0, r["import_power_kw"]);
        Assert.Equal(0.2, r["export_power_kw"]);
        Assert.Equal(0.15, r["import_power_l1_kw"]);
    }

    [Fact]
    public void Pinless_data_set_in_whole_kwh_without_power()
    {
        var frame = File(s =>
        {
            s.Entry(Obis(1, 0, 1, 8, 0), 30, 3, v => v.Unsigned(1234, 4));
            s.Entry(Obis(1, 0, 2, 8, 0), 30, 3, v => v.Unsigned(7, 2));
        }, 2).Frame();
        var r = One(frame).Readings[0];
        Assert.Equal(1234.0, r["import_total_kwh"]);
        Assert.Equal(7.0, r["export_total_kwh"]);
        Assert.Null(r["import_power_kw"]);
    }

    [Fact]
    public void Sml_time_forms()
    {
        long ts = 1_700_000_000;
        Action<SmlBuilder> entry = s => s.Entry(Obis(1, 0, 1, 8, 0), 30, 0, v => v.Unsigned(1, 1));
        var unix = One(File(entry, 1, m => m.List(2).Unsigned(2, 1).Unsigned((ulong)ts, 4)).Frame()).Readings[0];
        Assert.Equal(ts * 1_000_000, unix["reading_timestamp"]);
        Assert.Equal(0, unix["quality_flags"]);
        var local = One(File(entry, 1, m => m.List(2).Unsigned(3, 1).List(3).Unsigned((ulong)ts, 4).Integer(60, 2).Integer(60, 2)).Frame()).Readings[0];
        Assert.Equal(ts * 1_000_000, local["reading_timestamp"]);
        var index = One(File(entry, 1, m => m.List(2).Unsigned(1, 1).Unsigned(99, 4)).Frame(), null);
        Assert.Equal((int)QualityFlags.NoMeterClock, index.Readings[0]["quality_flags"]);
        Assert.Equal(99.0, Assert.Single(index.Register("sml:sensor_seconds_index"))["value"]);
        // Holley: valTime as a bare Unsigned32 in the entry.
        var holley = One(File(s => s.Entry(Obis(1, 0, 1, 8, 0), 30, 0, v => v.Unsigned(5, 1), t => t.Unsigned(12345, 4)), 1).Frame());
        Assert.Equal(0.005, holley.Readings[0]["import_total_kwh"]);
        // A wall-clock valTime on an entry dates the frame when the list has none.
        var valTime = One(File(s => s.Entry(Obis(1, 0, 1, 8, 0), 30, 0, v => v.Unsigned(5, 1), t => t.List(2).Unsigned(2, 1).Unsigned((ulong)ts, 4)), 1).Frame());
        Assert.Equal(ts * 1_000_000, valTime.Readings[0]["reading_timestamp"]);
    }

    [Fact]
    public void Holley_kermit_crcs_only_for_configured_meters()
    {
        var frame = File(s => s.Entry(Obis(1, 0, 1, 8, 0), 30, -1, v => v.Unsigned(100, 4)), 1, kermit: true).Frame(kermit: true);
        var refused = One(frame);
        Assert.Equal(0, refused.Readings.Count);
        Assert.Equal("bad_checksum", Assert.Single(refused.Quarantine.Rows)["reason"]);
        var other = One(frame, new MeterFrameOptions { KermitMeters = ["1HLY0000000001"] });
        Assert.Contains("not in Frames:KermitMeters", (string)Assert.Single(other.Quarantine.Rows)["detail"]!);
        var accepted = One(frame, new MeterFrameOptions { KermitMeters = [EmhId] });
        Assert.Equal(0.01, accepted.Readings[0]["import_total_kwh"]);
    }

    [Fact]
    public void Escaped_sequences_lists_and_signatures()
    {
        var frame = File(s =>
        {
            s.Entry(Obis(129, 129, 199, 130, 5), 255, 0, v => v.Octets(Enumerable.Repeat((byte)0x1B, 8).ToArray()));
            s.Entry(Obis(129, 0, 96, 8, 0), 255, -1, v => v.List(2).Integer(5, 1).Integer(-7, 2));
            s.Entry(Obis(1, 0, 96, 50, 1, 1), 255, 0, v => v.Octets("DZG"u8.ToArray()));
        }, 3).Frame();
        Assert.True(frame.AsSpan(8).IndexOf(Enumerable.Repeat((byte)0x1B, 12).ToArray()) >= 0); // sent escaped (doubled)
        var d = One(frame);
        Assert.Equal(1, d.Readings.Count);
        Assert.Equal("1B1B1B1B1B1B1B1B", Assert.Single(d.Register("129-129:199.130.5"))["text"]);
        var list = d.Register("129-0:96.8.0");
        Assert.Equal(0.5, list[0]["value"]);
        Assert.Equal(-0.7, list[1]["value"]);
        Assert.Equal("DZG", Assert.Single(d.Register("1-0:96.50.1*1"))["text"]);
    }

    [Fact]
    public void A_name_that_is_not_an_obis_code_keeps_its_text_beside_signatures_and_list_elements()
    {
        // Names of 4 bytes are written as hex; the value signature and the list's octet element are hex too, and
        // must not overwrite the name's text.
        var frame = File(s =>
        {
            s.List(7).Octets([0xAB, 0xCD, 0x01, 0x02]).Absent().Absent().Unsigned(30, 1).Integer(0, 1).Unsigned(7, 2).Octets([0xEE, 0xFF]);
            s.Entry([0x12, 0x34, 0x56, 0x78], 255, 0, v => v.List(2).Octets([0x99, 0x88]).Integer(5, 1));
        }, 2).Frame();
        var d = One(frame);
        var signed = d.Register("ABCD0102");
        Assert.Equal(2, signed.Count);
        Assert.Equal(0.007, signed[0]["value"]);
        Assert.Equal("EEFF", signed[1]["text"]);
        var list = d.Register("12345678");
        Assert.Equal(2, list.Count);
        Assert.Equal(5.0, list[1]["value"]);
    }

    [Fact]
    public void Transport_faults_garbage_truncation_and_bad_crc()
    {
        var good = File(s => s.Entry(Obis(1, 0, 1, 8, 0), 30, 0, v => v.Unsigned(1, 1)), 1).Frame();
        var bad = (byte[])good.Clone();
        bad[^1] ^= 0xFF;
        var input = new byte[] { 0xAA, 0x55, 0x1B }.Concat(good[..40]).Concat(good).Concat(bad).Concat(new byte[] { 0, 0, 0 }).Concat(good).ToArray();
        var d = Decode(input, MeterFrameFormat.Sml, chunk: 17);
        Assert.Equal(2, d.Readings.Count);
        Assert.Equal(["truncated_frame", "bad_checksum"], d.Quarantine.Rows.Select(q => (string)q["reason"]!).ToArray());
        Assert.Equal(input.Length, d.Stats.BytesSeen);
        Assert.Equal(1, d.Stats.GarbageRuns); // the NUL padding between frames is not garbage
    }
}
