using Metrify.Engine.Frames.Meter;
using Metrify.Engine.Pipeline;
using static Metrify.Engine.Tests.Frames.Meter.MeterHarness;

namespace Metrify.Engine.Tests.Frames.Meter;

/// <summary>The Luxembourg Smarty test vector: DLMS general-glo-ciphering around a P1 telegram (AES-128-GCM).</summary>
public class EncryptedP1Tests
{
    private const string Title = "7379737469746C65"; // "systitle"
    private const string Key = "0123456789abcdef0123456789abcdef";
    private const string Aad = "ffeeddccbbaa99887766554433221100"; // the vector's authentication key (real meters: 0011...EEFF)

    private static MeterFrameOptions WithKeys(string lines)
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, lines);
        try { return new MeterFrameOptions { Keys = MeterKeyring.Load(file, new Dictionary<string, string?>()) }; }
        finally { File.Delete(file); }
    }

    [Fact]
    public void Decrypts_with_the_meter_key_and_decodes_the_telegram()
    {
        var bytes = Capture("dsmr5lu-athombv-encrypted-1.hex");
        var d = Decode(bytes, MeterFrameFormat.EncryptedP1, options: WithKeys($"# Smarty test vector\n{Title} {Key} {Aad}\n"));
        var r = Assert.Single(d.Readings.Rows);
        Assert.Equal(25.653, r["import_total_kwh"]);
        Assert.Equal("SAG1030790002574", r["meter_id"]);
        Assert.Equal(Utc(2020, 7, 6, 8, 41, 57), r["reading_timestamp"]);
        Assert.Equal(4, d.Gas.Count);
        Assert.Equal(bytes.Length, d.Stats.BytesSeen);
    }

    [Fact]
    public void Wrong_key_or_damaged_frame_is_quarantined()
    {
        var bytes = Capture("dsmr5lu-athombv-encrypted-1.hex");
        var wrong = Decode(bytes, MeterFrameFormat.EncryptedP1, options: WithKeys($"* {Key.Replace('0', '1')} {Aad}"));
        Assert.Equal("decryption_failed", Assert.Single(wrong.Quarantine.Rows)["reason"]);
        Assert.Equal(0, wrong.Readings.Count);
        var damaged = (byte[])bytes.Clone();
        damaged[500] ^= 1;
        var d = Decode(damaged, MeterFrameFormat.EncryptedP1, options: WithKeys($"{Title} {Key} {Aad}"));
        Assert.Equal("decryption_failed", Assert.Single(d.Quarantine.Rows)["reason"]);
        var none = Decode(bytes, MeterFrameFormat.EncryptedP1);
        Assert.Equal("no_key", Assert.Single(none.Quarantine.Rows)["reason"]);
        Assert.Contains(Title, (string)none.Quarantine[0]["detail"]!);
    }

    [Fact]
    public void Keys_come_from_the_environment_and_bad_keys_name_the_setting()
    {
        var ring = MeterKeyring.Load(null, new Dictionary<string, string?> { ["METRIFY_P1_KEY_" + Title] = Key });
        Assert.True(ring.TryGet(Convert.FromHexString(Title), out _, out var auth));
        Assert.Equal(MeterKeyring.SmartyAuthenticationKey, auth);
        var e = Assert.Throws<OperatorException>(() => MeterKeyring.Load(null, new Dictionary<string, string?> { ["METRIFY_P1_KEY"] = "abc" }));
        Assert.Contains("METRIFY_P1_KEY", e.Message);
        var f = Assert.Throws<OperatorException>(() => WithKeys("nothex 0123"));
        Assert.Contains("Frames:KeyFile", f.Message);
    }
}
