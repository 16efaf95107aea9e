using System.Text;

namespace Metrify.Engine.Simulation;

public sealed partial class FleetSimulator
{
    /// <summary>Grid status per minute per TSO: frequency around 50 Hz, 380 kV, load following the daily shape.</summary>
    private long WriteGrid(List<string> files)
    {
        var writers = Open("grid_status", GridColumns, files);
        long minutes = (long)_o.Days * 1440, written = 0;
        var ids = GridModel.Operators.Select(o => Encoding.ASCII.GetBytes(o.Id)).ToArray();
        try
        {
            for (long k = 0; k < minutes; k++)
            {
                long micros = Micros(k, 1);
                double hour = k % 1440 / 60.0;
                bool weekend = ((int)_o.Start.DayOfWeek + 6 + k / 1440) % 7 >= 5;
                var fr = SimRandom.For(_o.Seed, 7, (ulong)k);
                double frequency = 50 + 0.025 * Noise(ref fr);
                for (int o = 0; o < ids.Length; o++)
                {
                    var op = GridModel.Operators[o];
                    var r = SimRandom.For(_o.Seed, 8, (ulong)(k * ids.Length + o));
                    double load = op.PeakLoadMw * (0.55 + 0.4 * MeterModel.LoadShape(hour, weekend) / 2.1) * (1 + 0.02 * Noise(ref r));
                    double generation = load * (1 + 0.05 * Noise(ref r));
                    bool bad = r.NextDouble() < _o.Faults.Malformed;
                    long localFrequency = Scale(frequency + 0.003 * Noise(ref r), 3), voltage = Scale(380 + 4 * Noise(ref r), 1);
                    foreach (var w in writers)
                    {
                        w.BeginRow();
                        w.Text(ids[o]);
                        w.Timestamp(micros);
                        if (bad) w.Text("fifty"u8); else w.Fixed(localFrequency, 3);
                        w.Fixed(voltage, 1);
                        w.Fixed(Scale(load, 1), 1);
                        w.Fixed(Scale(generation, 1), 1);
                        w.Fixed(Scale(op.CapacityMw, 1), 1);
                        w.EndRow();
                    }
                    written++;
                    if (bad) _faults.Add("malformed", "grid_status", ids[o], micros, "bad_number", writers);
                }
            }
        }
        finally
        {
            foreach (var w in writers) w.Dispose();
        }
        return written;
    }

    /// <summary>Hourly weather per DWD station: a daily temperature cycle, fronts that bring cloud, wind and rain.</summary>
    private long WriteWeather(List<string> files)
    {
        var writers = Open("weather", WeatherColumns, files);
        long hours = (long)_o.Days * 24, written = 0;
        var stations = WeatherModel.Stations.Take(_o.WeatherStations).ToArray();
        var ids = stations.Select(s => Encoding.ASCII.GetBytes(s.Id)).ToArray();
        try
        {
            for (long k = 0; k < hours; k++)
            {
                long micros = Micros(k, 60);
                double hour = k % 24;
                var dr = SimRandom.For(_o.Seed, 9, (ulong)(k / 24));
                double front = dr.NextDouble();
                for (int s = 0; s < stations.Length; s++)
                {
                    var r = SimRandom.For(_o.Seed, 10, (ulong)(k * stations.Length + s));
                    double cloud = Math.Clamp(front * 100 + 15 * Noise(ref r), 0, 100);
                    double temperature = stations[s].BaseTemp + 4 * Math.Sin(Math.PI * (hour - 9) / 12) - cloud / 50 + Noise(ref r);
                    double rain = cloud > 70 ? Math.Max(0, (cloud - 70) / 15 * r.NextDouble()) : 0;
                    bool bad = r.NextDouble() < _o.Faults.Malformed;
                    long humidity = Scale(Math.Clamp(75 + cloud / 5 + 5 * Noise(ref r), 20, 100), 0);
                    long pressure = Scale(1013 - front * 25 + 2 * Noise(ref r), 1);
                    long wind = Scale(Math.Max(0, 3 + front * 8 + 1.5 * Noise(ref r)), 1);
                    long direction = Scale((225 + 40 * Noise(ref r) + 360) % 360, 0) % 360;
                    foreach (var w in writers)
                    {
                        w.BeginRow();
                        w.Text(ids[s]);
                        if (bad) w.Text("yesterday"u8); else w.Timestamp(micros);
                        w.Fixed(Scale(temperature, 1), 1);
                        w.Fixed(humidity, 0);
                        w.Fixed(pressure, 1);
                        w.Fixed(wind, 1);
                        w.Fixed(direction, 0);
                        w.Fixed(Scale(rain, 1), 1);
                        w.Fixed(Scale(cloud, 0), 0);
                        w.EndRow();
                    }
                    written++;
                    if (bad) _faults.Add("malformed", "weather", ids[s], micros, "bad_timestamp", writers);
                }
            }
        }
        finally
        {
            foreach (var w in writers) w.Dispose();
        }
        return written;
    }
}
