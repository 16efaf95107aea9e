namespace Metrify.Engine.Simulation;

/// <summary>DWD stations and hourly weather with a daily temperature cycle and per-day fronts.</summary>
public static class WeatherModel
{
    public static readonly (string Id, string Name, double BaseTemp)[] Stations =
    [
        ("DWD-00433", "Berlin-Tempelhof", 1.5), ("DWD-01975", "Hamburg-Fuhlsbüttel", 2.0), ("DWD-03379", "München-Stadt", 0.5),
        ("DWD-02667", "Köln/Bonn", 3.0), ("DWD-01420", "Frankfurt/Main", 2.5), ("DWD-04931", "Stuttgart-Echterdingen", 1.0),
        ("DWD-01078", "Düsseldorf", 3.2), ("DWD-01048", "Dresden-Klotzsche", 0.8), ("DWD-02932", "Leipzig/Halle", 1.0),
        ("DWD-00691", "Bremen", 2.4), ("DWD-02014", "Hannover", 1.9), ("DWD-03668", "Nürnberg", 0.6),
        ("DWD-05792", "Zugspitze", -11.0), ("DWD-04271", "Rostock-Warnemünde", 1.8), ("DWD-01766", "Münster/Osnabrück", 2.6),
        ("DWD-05705", "Würzburg", 1.2), ("DWD-03987", "Potsdam", 1.4), ("DWD-04336", "Saarbrücken-Ensheim", 2.0),
        ("DWD-02290", "Hohenpeißenberg", -1.5), ("DWD-00282", "Bamberg", 0.7),
    ];
}
