namespace Metrify.Engine.Frames;

/// <summary>Counters of one decoder. Every input byte is either part of an accepted row, a quarantined row, or skipped.</summary>
public sealed class DecodeStats
{
    /// <summary>Rows accepted (identical duplicates dropped by the checks not included).</summary>
    public long Rows;
    /// <summary>Rows dropped as identical repeats of a row already accepted (same series, instant and values).</summary>
    public long DuplicatesDropped;
    public long Quarantined;
    public long BytesAccepted;
    public long BytesQuarantined;
    public long BytesSkipped;
    public readonly long[] PerReason = new long[QuarantineReasons.Count];

    public void Add(DecodeStats other)
    {
        Rows += other.Rows;
        DuplicatesDropped += other.DuplicatesDropped;
        Quarantined += other.Quarantined;
        BytesAccepted += other.BytesAccepted;
        BytesQuarantined += other.BytesQuarantined;
        BytesSkipped += other.BytesSkipped;
        for (int i = 0; i < PerReason.Length; i++) PerReason[i] += other.PerReason[i];
    }
}
