using Metrify.Engine.Columnar;
using Metrify.Engine.Frames.Meter;
using static Metrify.Engine.Tests.Frames.Meter.MeterHarness;

namespace Metrify.Engine.Tests.Frames.Meter;

/// <summary>The real telegrams in tests/conformance/meter-frames, checked against the values in its SOURCES.md.</summary>
public class P1ConformanceTests
{
    private const int Unverified = (int)QualityFlags.Unverified, NoClock = (int)QualityFlags.NoMeterClock,
        Sentinel = (int)QualityFlags.SentinelTimestamp;

    public static TheoryData<string> Telegrams() => new(Directory.GetFiles(Path.GetDirectoryName(Conformance("x"))!, "*.txt")
        .Select(Path.GetFileName).Where(n => !n!.Contains("truncated")).Order()!);

    [Theory]
    [MemberData(nameof(Telegrams))]
    public void Every_capture_yields_one_reading_and_accounts_for_every_byte(string name)
    {
        foreach (int chunk in new[] { 1, 7, 4096 })
        {
            var d = Decode(Capture(name), chunk: chunk);
            Assert.Equal(1, d.Readings.Count);
            Assert.Equal(0, d.Quarantine.Count);
            Assert.Equal(d.InputBytes, d.Stats.BytesSeen);
            bool hasCrc = !name.StartsWith("dsmr22", StringComparison.Ordinal) && !name.StartsWith("dsmr3", StringComparison.Ordinal);
            Assert.Equal(hasCrc ? 0 : Unverified, (int)d.Readings[0]["quality_flags"]! & Unverified);
        }
    }

    [Fact]
    public void Dsmr22_iskra_with_two_line_gas_on_channel_2()
    {
        var d = Decode(Capture("dsmr22-basjes-1.txt"));
        var r = d.Readings[0];
        Assert.Equal("ZBEV005106844912", r["meter_id"]);
        Assert.Equal(2, r["tariff"]);
        Assert.Equal(16719.940, r["import_t1_kwh"]);
        Assert.Equal(19403.220, r["import_t2_kwh"]);
        Assert.Equal(859.681, r["export_t1_kwh"]);
        Assert.Equal(1817.057, r["export_t2_kwh"]);
        Assert.Equal(0.89, r["import_power_kw"]);
        Assert.Equal(0.0, r["export_power_kw"]);
        Assert.Equal(Unverified | NoClock, r["quality_flags"]);
        var gas = Assert.Single(d.Gas.Rows);
        Assert.Equal(2, gas["channel"]);
        Assert.Equal(3, gas["device_type"]);
        Assert.Equal("28011008306429013", gas["device_id"]);
        Assert.Equal(13368.864, gas["value"]);
        Assert.Equal("m3", gas["unit"]);
        Assert.Equal("0-2:24.3.0", gas["obis"]);
        Assert.Equal(Utc(2021, 11, 22, 20, 0, 0), gas["capture_timestamp"]); // 21:00 Amsterdam, winter
        Assert.Equal(1.0, Assert.Single(d.Register("0-2:24.4.0"))["value"]); // valve position: a register
    }

    [Theory]
    [InlineData("dsmr22-basjes-2.txt", 5080.475, 5008.385, 0.68, 2025.003, 2016, 1, 17, 11)]
    [InlineData("dsmr22-basjes-3.txt", 3687.771, 4456.167, 0.0, 5271.144, 2019, 2, 18, 11)]
    [InlineData("dsmr3-ndokter-1.txt", 12345.678, 12345.678, 1.19, 1.001, 2009, 2, 12, 15)]
    public void Old_telegrams_without_crc(string name, double t1, double t2, double power, double gasValue, int y, int mo, int day, int utcHour)
    {
        var d = Decode(Capture(name));
        var r = d.Readings[0];
        Assert.Equal(t1, r["import_t1_kwh"]);
        Assert.Equal(t2, r["import_t2_kwh"]);
        Assert.Equal(power, r["import_power_kw"]);
        var gas = Assert.Single(d.Gas.Rows);
        Assert.Equal(gasValue, gas["value"]);
        Assert.Equal(Utc(y, mo, day, utcHour, 0, 0), gas["capture_timestamp"]);
    }

    [Fact]
    public void Dsmr3_text_message_is_hex_decoded()
    {
        var d = Decode(Capture("dsmr3-ndokter-1.txt"));
        Assert.Equal(string.Concat(Enumerable.Repeat("0123456789:;<=>?", 5)), Assert.Single(d.Register("0-0:96.13.0"))["text"]);
        Assert.Equal(16.0, Assert.Single(d.Register("0-0:17.0.0"))["value"]);
        Assert.Equal("A", Assert.Single(d.Register("0-0:17.0.0"))["unit"]);
    }

    [Fact]
    public void Dsmr42_landis_gyr_with_gas_and_power_failure_log()
    {
        var d = Decode(Capture("dsmr42-basjes-1.txt"));
        var r = d.Readings[0];
        Assert.Equal("E0031003239456716", r["meter_id"]);
        Assert.Equal(Utc(2019, 9, 5, 19, 40, 3), r["reading_timestamp"]);
        Assert.Equal(3235.689, r["import_t1_kwh"]);
        Assert.Equal(6777.240, r["import_t2_kwh"]);
        Assert.Equal(0.313, r["export_t1_kwh"]);
        Assert.Equal(0.374, r["import_power_kw"]);
        Assert.Equal(2.0, r["current_l1_a"]);
        Assert.Equal(0, r["quality_flags"]);
        var gas = Assert.Single(d.Gas.Rows);
        Assert.Equal("G0019340315370616", gas["device_id"]);
        Assert.Equal(1091.352, gas["value"]);
        Assert.Equal(Utc(2019, 9, 5, 19, 0, 0), gas["capture_timestamp"]);
        var log = d.Register("1-0:99.97.0");
        Assert.Equal(1.0, log[0]["value"]);
        Assert.Equal("0-0:96.7.19", log[1]["text"]);
        Assert.Equal(Utc(2017, 1, 17, 5, 59, 12), log[2]["value_timestamp"]); // end of the outage, 06:59:12 CET
        Assert.Equal(9606.0, log[3]["value"]);
        Assert.Equal("s", log[3]["unit"]);
        Assert.Equal("42", Assert.Single(d.Register("1-3:0.2.8"))["value"]?.ToString());
        Assert.Equal("XMX5LGBBFG1009325446", Assert.Single(d.Register("header"))["text"]);
    }

    [Fact]
    public void Dsmr42_kaifa_durations_beyond_32_bits_and_empty_log_slots()
    {
        var d = Decode(Capture("dsmr42-ndokter-1.txt"));
        var log = d.Register("1-0:99.97.0");
        Assert.Equal(2317482647.0, log[7]["value"]);
        Assert.Null(log[4]["value_timestamp"]); // (000101000001W): an empty slot
        Assert.Equal(Sentinel, (int)log[4]["quality_flags"]! & Sentinel);
        var r = d.Readings[0];
        Assert.Equal(0.170, r["import_power_l1_kw"]);
        Assert.Equal(1.247, r["import_power_l2_kw"]);
        Assert.Equal(0.209, r["import_power_l3_kw"]);
        Assert.Equal(6.0, r["current_l2_a"]);
        Assert.Null(r["voltage_l1_v"]); // Kaifa 4.2 sends no voltages
    }

    [Fact]
    public void Meter_clock_not_set_keeps_the_row_with_a_flag()
    {
        long received = Utc(2024, 1, 1, 0, 0, 0);
        var d = Decode(Capture("dsmr42-basjes-2.txt"), receivedAt: received);
        var r = d.Readings[0];
        Assert.Equal(Sentinel, (int)r["quality_flags"]! & Sentinel);
        Assert.Equal(received, r["reading_timestamp"]);
        Assert.Equal("000101010000W", Assert.Single(d.Register("0-0:1.0.0"))["text"]); // the raw clock is kept
        var gas = Assert.Single(d.Gas.Rows);
        Assert.Null(gas["capture_timestamp"]);
        Assert.Equal(0.0, gas["value"]);
        Assert.Null(gas["unit"]);
    }

    [Fact]
    public void Dsmr5_two_mbus_channels_dead_slot_on_1()
    {
        var d = Decode(Capture("dsmr5-ndokter-2.txt"));
        Assert.Equal(2, d.Gas.Count);
        var dead = d.Gas.Rows.Single(g => (int)g["channel"]! == 1);
        Assert.Null(dead["capture_timestamp"]);
        Assert.Null(dead["unit"]);
        var gas = d.Gas.Rows.Single(g => (int)g["channel"]! == 2);
        Assert.Equal(246.138, gas["value"]);
        Assert.Equal(Utc(2020, 4, 26, 20, 30, 1), gas["capture_timestamp"]);
        var r = d.Readings[0];
        Assert.Equal(Utc(2020, 4, 26, 20, 33, 25), r["reading_timestamp"]);
        Assert.Equal(229.9, r["voltage_l1_v"]);
        Assert.Equal(222.9, r["voltage_l3_v"]);
        Assert.Equal(1, r["tariff"]);
    }

    [Fact]
    public void Dsmr5_declared_channel_without_reading_still_lands()
    {
        var d = Decode(Capture("dsmr5-ndokter-1.txt"));
        var ch2 = d.Gas.Rows.Single(g => (int)g["channel"]! == 2);
        Assert.Equal(3, ch2["device_type"]);
        Assert.Null(ch2["value"]);
        var ch1 = d.Gas.Rows.Single(g => (int)g["channel"]! == 1);
        Assert.Equal(0.107, ch1["value"]);
        Assert.Equal(Utc(2017, 1, 2, 15, 10, 5), ch1["capture_timestamp"]);
        Assert.Equal(0.48, d.Readings[0]["current_l1_a"]);
    }

    [Fact]
    public void Dsmr5_iskra_exporting()
    {
        var r = Decode(Capture("dsmr5-athombv-1.txt")).Readings[0];
        Assert.Equal(0.498, r["export_power_kw"]);
        Assert.Equal(2876.514, r["export_t2_kwh"]);
        Assert.Equal(236.0, r["voltage_l1_v"]);
        Assert.Equal(Utc(2018, 11, 6, 13, 4, 29), r["reading_timestamp"]);
    }

    [Fact]
    public void Fluvius_capacity_tariff_water_and_uncorrected_gas()
    {
        var d = Decode(Capture("dsmr5be-ndokter-1.txt"));
        var r = d.Readings[0];
        Assert.Equal(0.034, r["import_t1_kwh"]); // BE: tariff 1 is day (peak); docs/schema.md
        Assert.Equal(15.758, r["import_t2_kwh"]);
        Assert.Equal(0.011, r["export_t2_kwh"]);
        Assert.Equal(234.7, r["voltage_l2_v"]);
        Assert.Equal(0.0, r["current_l1_a"]);
        Assert.Equal(2.351, Assert.Single(d.Register("1-0:1.4.0"))["value"]);
        var peak = d.Register("1-0:1.6.0");
        Assert.Equal(Utc(2020, 5, 9, 11, 45, 58), peak[0]["value_timestamp"]);
        Assert.Equal(2.589, peak[1]["value"]);
        Assert.Equal("50217", Assert.Single(d.Register("0-0:96.1.4"))["value"]?.ToString());
        Assert.Equal(3 * 3 + 3, d.Register("0-0:98.1.0").Count); // count, 2 references, 3 months × (start, time, kW)
        var gas = d.Gas.Rows.Single(g => (int)g["channel"]! == 1);
        Assert.Equal("0-1:24.2.3", gas["obis"]);
        Assert.Equal(112.384, gas["value"]);
        var water = d.Gas.Rows.Single(g => (int)g["channel"]! == 2);
        Assert.Equal(7, water["device_type"]);
        Assert.Equal(872.234, water["value"]);
        Assert.Equal("1SAG3101021605", r["meter_id"]);
    }

    [Fact]
    public void Fluvius_not_specified_timestamp_is_null_with_a_flag()
    {
        var d = Decode(Capture("dsmr5be-ndokter-2.txt"));
        var history = d.Register("0-0:98.1.0");
        var placeholder = history.Single(h => (string?)h["text"] == "632525252525W");
        Assert.Null(placeholder["value_timestamp"]);
        Assert.Equal(Sentinel, (int)placeholder["quality_flags"]! & Sentinel);
        Assert.Equal(0.27, d.Readings[0]["current_l1_a"]);
    }

    [Fact]
    public void Mcs5_invalid_clock_and_unitless_values()
    {
        long received = Utc(2025, 6, 1, 12, 0, 0);
        var d = Decode(Capture("dsmr5-wassasin-2.txt"), receivedAt: received);
        var r = d.Readings[0];
        Assert.Equal(received, r["reading_timestamp"]);
        Assert.Equal(Sentinel, (int)r["quality_flags"]! & Sentinel);
        Assert.Equal(1.0, r["import_t1_kwh"]);
        Assert.Equal(4.0, r["export_t2_kwh"]);
        var log = d.Register("1-0:99.97.0");
        Assert.Equal(23.0, log[3]["value"]); // a duration without unit
        Assert.Null(log[3]["unit"]);
        var gas = Assert.Single(d.Gas.Rows);
        Assert.Equal(-1, gas["device_type"] ?? -1);
    }

    [Fact]
    public void Luxembourg_totals_reactive_energy_and_four_channels()
    {
        var d = Decode(Capture("dsmr5lu-athombv-1.txt"));
        var r = d.Readings[0];
        Assert.Equal("SAG1030790002574", r["meter_id"]);
        Assert.Equal(25.653, r["import_total_kwh"]);
        Assert.Equal(0.040, r["export_total_kwh"]);
        Assert.Null(r["import_t1_kwh"]);
        var q = Assert.Single(d.Register("1-0:3.8.0"));
        Assert.Equal(0.835, q["value"]);
        Assert.Equal("kvarh", q["unit"]);
        var limit = d.Register("1-1:31.4.0");
        Assert.Equal(100.0, limit[0]["value"]);
        Assert.Equal(-63.0, limit[1]["value"]);
        Assert.Equal(4, d.Gas.Count);
        Assert.Equal(28.103, d.Gas.Rows.Single(g => (int)g["channel"]! == 4)["value"]);
        Assert.Null(d.Gas.Rows.Single(g => (int)g["channel"]! == 3)["capture_timestamp"]);
        Assert.Equal(69.0, Assert.Single(d.Register("0-0:17.0.0"))["value"]);
        Assert.Equal("kVA", Assert.Single(d.Register("0-0:17.0.0"))["unit"]);
    }

    [Fact]
    public void Truncated_telegram_then_valid_one()
    {
        var d = Decode(Capture("dsmr5-basjes-4-truncated-then-valid.txt"));
        var r = Assert.Single(d.Readings.Rows);
        Assert.Equal(2.857, r["export_power_kw"]);
        Assert.Equal(Utc(2022, 5, 28, 13, 2, 45), r["reading_timestamp"]);
        var q = Assert.Single(d.Quarantine.Rows);
        Assert.Equal("truncated_frame", q["reason"]);
        Assert.StartsWith("/ISK5", (string)q["raw"]!);
        Assert.Equal(2L, q["line_number"]); // after the leading CRLF
        Assert.Equal(d.InputBytes, d.Stats.BytesSeen);
    }

    [Fact]
    public void Stream_of_566_telegrams_all_pass_their_crc()
    {
        var bytes = Capture("streams/dsmr5-basjes-stream.txt");
        foreach (int chunk in new[] { 1000, 65536 })
        {
            var d = Decode(bytes, chunk: chunk);
            Assert.True(566 == d.Readings.Count, $"{d.Readings.Count} readings, quarantine: {string.Join("; ", d.Quarantine.Rows.Take(3).Select(q => q["reason"] + " " + q["detail"]))}; skipped {d.Stats.BytesSkipped}");
            Assert.Equal(0, d.Quarantine.Count);
            Assert.Equal(1, d.Stats.GarbageRuns); // the capture starts inside a telegram
            Assert.Equal(d.InputBytes, d.Stats.BytesSeen);
            Assert.All(d.Readings.Rows, r => Assert.Equal(0, r["quality_flags"]));
            Assert.All(d.Readings.Rows, r => Assert.Equal("E0044007131650618", r["meter_id"]));
            var times = d.Readings.Rows.Select(r => (long)r["reading_timestamp"]!).ToList();
            Assert.Equal(times.Order(), times);
        }
    }
}
