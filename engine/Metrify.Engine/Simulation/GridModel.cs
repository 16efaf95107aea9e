namespace Metrify.Engine.Simulation;

/// <summary>The four German transmission system operators, scaled to their control areas.</summary>
public static class GridModel
{
    public static readonly (string Id, double PeakLoadMw, double CapacityMw)[] Operators =
    [
        ("TENNET", 22_000, 30_000), ("50HERTZ", 12_000, 19_000), ("AMPRION", 24_000, 32_000), ("TRANSNETBW", 9_000, 13_000),
    ];
}
