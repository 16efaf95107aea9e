namespace Metrify.Engine.Simulation;

/// <summary>One simulated meter's master data and load parameters.</summary>
public sealed record MeterInfo(
    string MeterId, string Country, string City, string PostalCode, double Latitude, double Longitude,
    string Manufacturer, string Model, string Tariff, DateOnly InstallationDate, int Phases,
    double AnnualKwh, double PvKwp, double PowerFactor, string GridOperator);

/// <summary>
/// Household load: a daily shape with morning and evening peaks, a later and larger weekend morning, noise; PV
/// production on some meters following the sun and a per-day cloudiness; mains voltage and frequency noise.
/// </summary>
public static class MeterModel
{
    private static readonly (string City, string Postal, double Lat, double Lon, string Country, string Operator)[] Cities =
    [
        ("Berlin", "10115", 52.52, 13.40, "DE", "50HERTZ"), ("Hamburg", "20095", 53.55, 9.99, "DE", "50HERTZ"),
        ("München", "80331", 48.14, 11.58, "DE", "TENNET"), ("Köln", "50667", 50.94, 6.96, "DE", "AMPRION"),
        ("Frankfurt am Main", "60311", 50.11, 8.68, "DE", "AMPRION"), ("Stuttgart", "70173", 48.78, 9.18, "DE", "TRANSNETBW"),
        ("Dresden", "01067", 51.05, 13.74, "DE", "50HERTZ"), ("Hannover", "30159", 52.37, 9.73, "DE", "TENNET"),
        ("Karlsruhe", "76133", 49.01, 8.40, "DE", "TRANSNETBW"), ("Dortmund", "44135", 51.51, 7.47, "DE", "AMPRION"),
        ("Amsterdam", "1012", 52.37, 4.90, "NL", "TENNET"), ("Rotterdam", "3011", 51.92, 4.48, "NL", "TENNET"),
        ("Utrecht", "3511", 52.09, 5.12, "NL", "TENNET"), ("Brussel", "1000", 50.85, 4.35, "BE", "AMPRION"),
        ("Antwerpen", "2000", 51.22, 4.40, "BE", "AMPRION"), ("Gent", "9000", 51.05, 3.72, "BE", "AMPRION"),
    ];

    private static readonly (string Manufacturer, string Model)[] Models =
    [
        ("Landis+Gyr", "E350"), ("Landis+Gyr", "E360"), ("Itron", "ACE6000"), ("Kamstrup", "OMNIPOWER"),
        ("EMH metering", "eHZ-K"), ("Iskraemeco", "AM550"), ("Sagemcom", "T211"), ("DZG", "DVS74"), ("Holley", "DTZ541"),
    ];

    private static readonly string[] TariffNames = ["single", "dual", "dynamic"];

    public static string MeterId(int index) => $"SM{index:D6}";

    public static MeterInfo Meter(ulong seed, int index, double pvShare)
    {
        var r = SimRandom.For(seed, 1, (ulong)index);
        var city = Cities[r.Next(Cities.Length)];
        var model = Models[r.Next(Models.Length)];
        bool pv = r.NextDouble() < pvShare;
        return new MeterInfo(
            MeterId(index), city.Country, city.City, city.Postal,
            Math.Round(city.Lat + (r.NextDouble() - 0.5) * 0.2, 5), Math.Round(city.Lon + (r.NextDouble() - 0.5) * 0.3, 5),
            model.Manufacturer, model.Model, TariffNames[r.Next(TariffNames.Length)],
            new DateOnly(2015, 1, 1).AddDays(r.Next(3650)), r.NextDouble() < 0.3 ? 3 : 1,
            AnnualKwh: 1800 + r.NextDouble() * 4200, PvKwp: pv ? Math.Round(3 + r.NextDouble() * 7, 1) : 0,
            PowerFactor: 0.9 + r.NextDouble() * 0.08, city.Operator);
    }

    /// <summary>Relative load at an hour of the day (mean about 1).</summary>
    public static double LoadShape(double hour, bool weekend)
    {
        double morning = weekend ? 9.5 : 7.25;
        return 0.45
            + (weekend ? 0.75 : 0.6) * Math.Exp(-Sq(hour - morning) / 2.0)
            + 1.0 * Math.Exp(-Sq(hour - 19.0) / 4.0)
            + (weekend ? 0.4 : 0.2) * Math.Exp(-Sq(hour - 13.0) / 3.0);
    }

    /// <summary>Clear-sky share of peak PV output at an hour of a day of the year: longer and stronger days in summer
    /// (about 1 kWh per kWp on a clear December day, 6 in June).</summary>
    public static double Sun(double hour, int dayOfYear)
    {
        double season = 0.5 - 0.5 * Math.Cos(2 * Math.PI * (dayOfYear + 10) / 365.0); // 0 at the solstice in December
        double halfDay = 4 + 4.5 * season;
        double x = (hour - 12.5) / halfDay;
        return Math.Abs(x) >= 1 ? 0 : Math.Cos(x * Math.PI / 2) * (0.25 + 0.75 * season);
    }

    private static double Sq(double x) => x * x;
}
