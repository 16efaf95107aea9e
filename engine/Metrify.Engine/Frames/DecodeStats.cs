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
    /// <summary>Rows the series checks saw (after identical duplicates went), those without a flag, and the
    /// intervals missing before them: the quality score's terms (docs/quality.md). Zero without series checks.</summary>
    public long ScoredRows, CleanRows, MissingIntervals;
    /// <summary>The lowest score of one batch; NaN when no batch was scored.</summary>
    public double LowestBatchScore = double.NaN;

    /// <summary>Clean rows / (scored rows + missing intervals); NaN when nothing was scored.</summary>
    public double QualityScore => ScoredRows + MissingIntervals == 0 ? double.NaN : CleanRows / (double)(ScoredRows + MissingIntervals);

    /// <summary>What the series checks found in one batch: identical duplicates they dropped move out of the row
    /// count, and the quality score's terms add up.</summary>
    public void Add(Quality.BatchQuality batch)
    {
        Rows -= batch.Dropped;
        DuplicatesDropped += batch.Dropped;
        ScoredRows += batch.Rows;
        CleanRows += batch.Clean;
        MissingIntervals += batch.Missing;
        LowestBatchScore = Quality.BatchQuality.Lowest(LowestBatchScore, batch.Score);
    }

    public void Add(DecodeStats other)
    {
        Rows += other.Rows;
        DuplicatesDropped += other.DuplicatesDropped;
        Quarantined += other.Quarantined;
        BytesAccepted += other.BytesAccepted;
        BytesQuarantined += other.BytesQuarantined;
        BytesSkipped += other.BytesSkipped;
        for (int i = 0; i < PerReason.Length; i++) PerReason[i] += other.PerReason[i];
        ScoredRows += other.ScoredRows;
        CleanRows += other.CleanRows;
        MissingIntervals += other.MissingIntervals;
        LowestBatchScore = Quality.BatchQuality.Lowest(LowestBatchScore, other.LowestBatchScore);
    }
}
