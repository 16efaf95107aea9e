namespace Metrify.Engine.Quality;

/// <summary>What the series checks found in one batch: identical duplicates dropped, rows kept, rows without a
/// quality flag, and intervals the gap check found missing before the rows.</summary>
public readonly record struct BatchQuality(int Dropped, int Rows, int Clean, long Missing)
{
    /// <summary>The quality score (docs/quality.md): clean rows / (rows + missing intervals); NaN for no rows.</summary>
    public double Score => Rows + Missing == 0 ? double.NaN : Clean / (double)(Rows + Missing);

    /// <summary>The lower of two scores, NaN (no score) counting as neither.</summary>
    public static double Lowest(double a, double b) => double.IsNaN(a) ? b : double.IsNaN(b) ? a : Math.Min(a, b);
}
