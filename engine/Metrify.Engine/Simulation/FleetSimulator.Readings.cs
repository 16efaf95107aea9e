using System.Text;

namespace Metrify.Engine.Simulation;

public sealed partial class FleetSimulator
{
    private const long TenYearsMicros = 3652L * 86_400_000_000L;

    private long WriteReadings(MeterInfo[] meters, List<string> files, IProgress<double>? progress)
    {
        var writers = Open("readings", ReadingColumns, files);
        var frameWriters = _formats.Where(f => f is SimulationFormat.P1 or SimulationFormat.Sml).Select(f =>
        {
            var path = Path.Combine(_o.OutputDirectory, f == SimulationFormat.P1 ? "readings.p1" : "readings.sml.bin");
            files.Add(path);
            return new MeterFrameWriter(path, f, meters.Length);
        }).ToArray();
        var positions = writers.Cast<IFaultPosition>().Concat(frameWriters).ToArray();
        int interval = _o.IntervalMinutes, perDay = 1440 / interval;
        long steps = (long)_o.Days * perDay;
        double hours = interval / 60.0;
        var shape = new double[2, perDay];
        var sun = new double[_o.Days, perDay];
        for (int s = 0; s < perDay; s++)
        {
            double h = s * hours;
            shape[0, s] = MeterModel.LoadShape(h, false);
            shape[1, s] = MeterModel.LoadShape(h, true);
            for (int d = 0; d < _o.Days; d++) sun[d, s] = MeterModel.Sun(h, _o.Start.AddDays(d).DayOfYear);
        }
        var ids = meters.Select(m => Encoding.ASCII.GetBytes(m.MeterId)).ToArray();
        var cityIndex = meters.Select(m => StableHash(m.City) & 0xFFFF).ToArray(); // string.GetHashCode differs per process
        int firstDow = ((int)_o.Start.DayOfWeek + 6) % 7; // Monday = 0
        var f = _o.Faults;
        double tGap = f.Gap, tDup = tGap + f.Duplicate, tSpike = tDup + f.Spike, tBad = tSpike + f.Malformed, tFuture = tBad + f.Future;
        double tLate = tFuture + f.Late, tReset = tLate + f.Reset;
        const int LateSteps = 4;
        var held = new List<(long Due, int Meter, long Micros, double Consumption, double Export, double Voltage, double Current, double Pf, double Frequency, double[][] Registers)>();
        long written = 0;

        // One reading into every format; a malformed variant (0-4, see MalformedName) breaks it on the way, and a
        // reading sent late carries the registers of its own time.
        void WriteRow(int m, long micros, double consumption, double export, double voltage, double current, double pf, double frequency,
            int variant = -1, ulong garbage = 0, double[][]? registers = null)
        {
            foreach (var w in writers)
            {
                if (variant == 3) { w.RawLine(Encoding.ASCII.GetBytes($"#garbage {garbage:x16}")); continue; }
                w.BeginRow();
                w.Text(variant == 4 ? [] : ids[m]);
                if (variant == 1) w.Text("2026-02-30T25:61:00Z"u8); else w.Timestamp(micros);
                if (variant == 0) w.Text("12.3.4"u8); else w.Fixed(Scale(consumption, 3), 3);
                if (variant == 2) { w.EndRow(truncated: true); continue; }
                if (meters[m].PvKwp > 0) w.Fixed(Scale(export, 3), 3); else w.Null();
                w.Fixed(Scale(voltage, 1), 1);
                w.Fixed(Scale(current, 2), 2);
                w.Fixed(Scale(pf, 3), 3);
                w.Fixed(Scale(frequency, 3), 3);
                w.EndRow();
            }
            // Frames carry no separate broken fields: a malformed record is a damaged or cut-off frame.
            var frameFault = variant < 0 ? MeterFrameWriter.Fault.None : variant == 2 ? MeterFrameWriter.Fault.Truncate : MeterFrameWriter.Fault.Corrupt;
            for (int i = 0; i < frameWriters.Length; i++)
                frameWriters[i].Write(m, ids[m], micros, consumption, export, hours, voltage, current, frequency, frameFault, registers?[i]);
        }

        try
        {
            for (long k = 0; k < steps; k++)
            {
                // Readings held back an hour arrive now, before this interval's, with their own time.
                for (int h = 0; h < held.Count; h++)
                {
                    var l = held[h];
                    if (l.Due != k) continue;
                    WriteRow(l.Meter, l.Micros, l.Consumption, l.Export, l.Voltage, l.Current, l.Pf, l.Frequency, registers: l.Registers);
                    written++;
                    _faults.Add("late", "readings", ids[l.Meter], l.Micros, "written an hour late", positions);
                }
                held.RemoveAll(l => l.Due == k);
                long day = k / perDay;
                int slot = (int)(k % perDay);
                int weekend = (firstDow + day) % 7 >= 5 ? 1 : 0;
                var fr = SimRandom.For(_o.Seed, 6, (ulong)k);
                double frequencyBase = 50 + 0.02 * Noise(ref fr);
                long baseMicros = Micros(k, interval);
                for (int m = 0; m < meters.Length; m++)
                {
                    var meter = meters[m];
                    var r = SimRandom.For(_o.Seed, 2, (ulong)(k * meters.Length + m));
                    double u = r.NextDouble();
                    long micros = baseMicros;
                    if (u < tGap) { _faults.Add("gap", "readings", ids[m], micros, "not written", null); continue; }
                    double avg = meter.AnnualKwh / (365.0 * perDay);
                    double consumption = Math.Max(0.002, avg * shape[weekend, slot] * (1 + 0.25 * Noise(ref r)));
                    double export = 0;
                    if (meter.PvKwp > 0 && sun[day, slot] > 0)
                    {
                        var cr = SimRandom.For(_o.Seed, 5, (ulong)day * 65_536 + cityIndex[m]);
                        double cloud = 0.25 + 0.75 * cr.NextDouble();
                        double production = Math.Max(0, meter.PvKwp * hours * sun[day, slot] * cloud * (1 + 0.1 * Noise(ref r)));
                        double net = consumption - production;
                        if (net < 0) { export = -net; consumption = 0; } else consumption = net;
                    }
                    bool spike = u >= tDup && u < tSpike;
                    // A spike adds 20 to 50 times the meter's mean interval energy: unmistakable even when PV nets
                    // the interval to zero (multiplying would leave a zero a zero).
                    if (spike) consumption += avg * (20 + 30 * r.NextDouble());
                    if (u >= tBad && u < tFuture) micros += TenYearsMicros;
                    double voltage = 230 + 2.0 * Noise(ref r) + (export > 0 ? 1.5 : 0);
                    double pf = Math.Clamp(meter.PowerFactor + 0.01 * Noise(ref r), 0.5, 1.0);
                    double current = consumption / hours * 1000 / (voltage * pf * meter.Phases);
                    double frequency = frequencyBase + 0.002 * Noise(ref r);
                    int variant = u >= tSpike && u < tBad ? r.Next(5) : -1;
                    if (u >= tFuture && u < tLate && k + LateSteps < steps)
                    {
                        // The meter counted the energy at its time; the telegram carrying it arrives an hour later.
                        var registers = frameWriters.Select(fw => fw.Advance(m, micros, consumption, export)).ToArray();
                        held.Add((k + LateSteps, m, micros, consumption, export, voltage, current, pf, frequency, registers));
                        continue;
                    }
                    if (u >= tLate && u < tReset)
                    {
                        foreach (var fw in frameWriters) fw.Reset(m); // a new meter behind the same id: registers from zero
                        WriteRow(m, micros, consumption, export, voltage, current, pf, frequency);
                        written++;
                        _faults.Add("reset", "readings", ids[m], micros, "meter swapped: registers from zero", positions);
                        continue;
                    }
                    ulong garbage = variant == 3 ? r.NextUInt64() : 0;
                    WriteRow(m, micros, consumption, export, voltage, current, pf, frequency, variant, garbage);
                    written++;
                    if (variant >= 0) _faults.Add("malformed", "readings", ids[m], micros, MalformedName(variant), positions);
                    else if (spike) _faults.Add("spike", "readings", ids[m], micros, "consumption + 20..50 x mean", positions);
                    else if (u >= tBad && u < tFuture) _faults.Add("future", "readings", ids[m], micros, "timestamp +10 years", positions);
                    else if (u >= tGap && u < tDup)
                    {
                        foreach (var w in writers) w.RepeatLastRow();
                        foreach (var fw in frameWriters) fw.RepeatLast();
                        written++;
                        _faults.Add("duplicate", "readings", ids[m], micros, "identical row repeated", positions);
                    }
                }
                if ((k & 63) == 0) progress?.Report(0.9 * k / steps);
            }
        }
        finally
        {
            foreach (var w in writers) w.Dispose();
            foreach (var fw in frameWriters) fw.Dispose();
        }
        return written;
    }

    private static ulong StableHash(string text)
    {
        ulong h = 14695981039346656037;
        foreach (char c in text) h = (h ^ c) * 1099511628211;
        return h;
    }

    private static string MalformedName(int variant) => variant switch
    {
        0 => "bad_number",
        1 => "bad_timestamp",
        2 => "truncated_record",
        3 => "garbage_line",
        _ => "empty_key",
    };
}
