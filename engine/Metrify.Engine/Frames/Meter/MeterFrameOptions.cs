namespace Metrify.Engine.Frames.Meter;

/// <summary>Settings of the meter frame decoders (the <c>Frames</c> section of metrify.json).</summary>
public sealed record MeterFrameOptions
{
    /// <summary>Largest frame accepted; a longer one is quarantined as oversized, so garbage never grows memory.
    /// Belgian telegrams with a 13-month peak history pass 1.5 KB; 16 KB leaves room for any real meter.</summary>
    public int MaxFrameBytes { get; set; } = 16 * 1024;

    /// <summary>Meters (by meter id) whose SML CRCs use CRC-16/KERMIT instead of X-25 (Holley DTZ541 firmware bug).</summary>
    public string[] KermitMeters { get; set; } = [];

    /// <summary>File with the keys of encrypted P1 meters (see <see cref="MeterKeyring.Load"/>); keys can also come
    /// from the environment.</summary>
    public string? KeyFile { get; set; }

    /// <summary>The loaded keys (from <see cref="KeyFile"/> and the environment); not a setting itself.</summary>
    public MeterKeyring Keys { get; init; } = MeterKeyring.Empty;

    public IEnumerable<string> Validate()
    {
        if (MaxFrameBytes is < 8 * 1024 or > 1024 * 1024)
            yield return $"Frames:MaxFrameBytes must be between 8192 and 1048576 (is {MaxFrameBytes}).";
    }
}
