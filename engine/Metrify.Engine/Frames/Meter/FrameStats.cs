namespace Metrify.Engine.Frames.Meter;

/// <summary>
/// Counters of one frame source. Every input byte is accounted for exactly once: in an accepted frame, in a
/// quarantined frame, or skipped (garbage between frames, blank lines, NUL padding).
/// </summary>
public sealed class FrameStats
{
    public long FramesAccepted;
    public long FramesQuarantined;
    public long BytesAccepted;
    public long BytesQuarantined;
    public long BytesSkipped;
    /// <summary>Runs of skipped bytes that were not just line ends or NUL padding (resynchronisations).</summary>
    public long GarbageRuns;
    public long ReadingRows;
    public long RegisterRows;
    public long GasRows;
    public readonly long[] PerReason = new long[QuarantineReasons.Count];

    public long BytesSeen => BytesAccepted + BytesQuarantined + BytesSkipped;
}
