namespace Metrify.Engine.Columnar;

/// <summary>
/// Bits of the <c>quality_flags</c> column. Bit positions are part of the lake's contract (docs/schema.md): never
/// renumber, only add. A row with flags set is kept; rows that cannot be decoded go to <c>quarantine</c> instead.
/// </summary>
[Flags]
public enum QualityFlags
{
    None = 0,
    /// <summary>A value is outside the plausible range for its quantity.</summary>
    OutOfRange = 1 << 0,
    /// <summary>A cumulative register decreased.</summary>
    RegisterDecrease = 1 << 1,
    /// <summary>Same key and timestamp seen before with different values.</summary>
    DuplicateConflict = 1 << 2,
    /// <summary>One or more intervals are missing before this row.</summary>
    GapBefore = 1 << 3,
    /// <summary>Timestamp lies in the future beyond the allowed clock skew.</summary>
    FutureTimestamp = 1 << 4,
    /// <summary>Meter sent a sentinel timestamp (clock never set); the instant was replaced.</summary>
    SentinelTimestamp = 1 << 5,
    /// <summary>Row arrived behind the watermark.</summary>
    Late = 1 << 6,
    /// <summary>Value far outside the meter's own recent behaviour.</summary>
    Spike = 1 << 7,
    /// <summary>Frame checksum could not be verified (formats without a checksum).</summary>
    Unverified = 1 << 8,
    /// <summary>The frame carries no wall-clock time (DSMR 2.2/3.0, SML with a seconds index only); the instant is
    /// the source's context time (the last good frame time of the source, else the time the source was received).</summary>
    NoMeterClock = 1 << 9,
}
