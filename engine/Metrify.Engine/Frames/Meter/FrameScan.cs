namespace Metrify.Engine.Frames.Meter;

public enum FrameScanKind : byte
{
    /// <summary>The data ends inside a frame; offer it again with more bytes.</summary>
    NeedMore,
    /// <summary>The first <see cref="FrameScan.Length"/> bytes are not a frame (garbage, blank lines, padding).</summary>
    Skip,
    /// <summary>The first <see cref="FrameScan.Length"/> bytes are one frame.</summary>
    Frame,
    /// <summary>The first <see cref="FrameScan.Length"/> bytes started a frame that cannot be completed.</summary>
    Broken,
}

/// <summary>What a framer found at the start of the data it was given.</summary>
/// <param name="Marker">For a frame: the index of its end marker (P1 '!', SML end escape).</param>
/// <param name="Escaped">For an SML frame: its payload holds escaped sequences (most do not, and are not copied).</param>
/// <param name="Matched">The frame was framed by matching its decoder's template (P1, SML), which need not be matched again.</param>
public readonly record struct FrameScan(FrameScanKind Kind, int Length, int Marker = 0, QuarantineReason Reason = default,
    bool Escaped = false, bool Matched = false)
{
    public static FrameScan NeedMore => default;
}

/// <summary>The meter frame formats Metrify reads.</summary>
public enum MeterFrameFormat : byte
{
    /// <summary>DSMR P1 / IEC 62056-21 text telegrams.</summary>
    P1,
    /// <summary>SML 1.04 transport frames (binary).</summary>
    Sml,
    /// <summary>DLMS general-glo-ciphering envelopes around P1 telegrams (Luxembourg Smarty).</summary>
    EncryptedP1,
}
