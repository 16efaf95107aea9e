namespace Metrify.Engine.Simulation;

/// <summary>
/// SplitMix64: tiny, fast and fully specified, so a seed gives the same data set on every machine and .NET version
/// (System.Random's seeded sequence is an implementation detail).
/// </summary>
public struct SimRandom(ulong seed)
{
    private ulong _state = seed;

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public int Next(int maxExclusive) => (int)((NextUInt64() >> 33) % (ulong)maxExclusive);

    /// <summary>Standard normal (Box–Muller, one of the pair).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>A generator for one entity, independent of how many numbers others drew.</summary>
    public static SimRandom For(ulong seed, ulong stream, ulong index) =>
        new(seed * 0x9E3779B97F4A7C15 ^ stream * 0xD1B54A32D192ED03 ^ index * 0x8CB92BA72F3D8DD7);
}
