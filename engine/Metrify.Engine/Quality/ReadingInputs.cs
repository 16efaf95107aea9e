using Metrify.Engine.Columnar;

namespace Metrify.Engine.Quality;

/// <summary>
/// What the readings' series checks and aggregates take from each row of a batch, gathered column by column before
/// the rows are walked: the registers (the total, else the sum of the tariffs present), the interval values, the
/// import power and the lowest and highest voltage over all phases, NaN where a row has none. Gathering in tight
/// loops per column costs a fraction of testing validity bits per row and quantity.
/// </summary>
internal sealed class ReadingInputs
{
    private readonly int _importTotal, _importT1, _importT2, _exportTotal, _exportT1, _exportT2;
    private readonly int _consumption, _exportKwh, _power;
    private readonly int[] _voltages;
    private double[] _scratch = [], _scratch2 = [];

    public double[] Import = [], Export = [], Consumption = [], ExportKwh = [], Power = [], MinVoltage = [], MaxVoltage = [];

    public ReadingInputs(TableSpec readings)
    {
        (_importTotal, _importT1, _importT2) = (readings.IndexOf("import_total_kwh"), readings.IndexOf("import_t1_kwh"), readings.IndexOf("import_t2_kwh"));
        (_exportTotal, _exportT1, _exportT2) = (readings.IndexOf("export_total_kwh"), readings.IndexOf("export_t1_kwh"), readings.IndexOf("export_t2_kwh"));
        (_consumption, _exportKwh, _power) = (readings.IndexOf("consumption_kwh"), readings.IndexOf("export_kwh"), readings.IndexOf("import_power_kw"));
        _voltages = [readings.IndexOf("voltage_v"), readings.IndexOf("voltage_l1_v"), readings.IndexOf("voltage_l2_v"), readings.IndexOf("voltage_l3_v")];
    }

    public void Gather(ColumnBatch batch)
    {
        int count = batch.Count;
        if (Import.Length < count)
        {
            int n = batch.Capacity;
            (Import, Export, Consumption, ExportKwh, Power, MinVoltage, MaxVoltage, _scratch, _scratch2) =
                (new double[n], new double[n], new double[n], new double[n], new double[n], new double[n], new double[n], new double[n], new double[n]);
        }
        Register(batch, _importTotal, _importT1, _importT2, Import);
        Register(batch, _exportTotal, _exportT1, _exportT2, Export);
        batch.CopyDoublesOrNaN(_consumption, Consumption);
        batch.CopyDoublesOrNaN(_exportKwh, ExportKwh);
        batch.CopyDoublesOrNaN(_power, Power);
        var min = MinVoltage.AsSpan(0, count);
        var max = MaxVoltage.AsSpan(0, count);
        min.Fill(double.NaN);
        max.Fill(double.NaN);
        var v = _scratch.AsSpan(0, count);
        foreach (int c in _voltages)
        {
            if (batch.NullCount(c) == count) continue;
            batch.CopyDoublesOrNaN(c, v);
            // A NaN (null) value compares false and leaves the bound; a NaN bound (none yet) takes the value.
            for (int i = 0; i < v.Length; i++)
            {
                double x = v[i], lo = min[i], hi = max[i];
                min[i] = x < lo || double.IsNaN(lo) ? x : lo;
                max[i] = x > hi || double.IsNaN(hi) ? x : hi;
            }
        }
    }

    /// <summary>A register's total per row: the total column, else the sum of the tariff columns present; NaN where
    /// none.</summary>
    private void Register(ColumnBatch batch, int total, int t1, int t2, double[] into)
    {
        int count = batch.Count;
        var r = into.AsSpan(0, count);
        int totalNulls = batch.NullCount(total);
        batch.CopyDoublesOrNaN(total, r);
        if (totalNulls == 0) return;
        if (batch.NullCount(t1) == count && batch.NullCount(t2) == count) return;
        var a = _scratch.AsSpan(0, count);
        var b = _scratch2.AsSpan(0, count);
        batch.CopyDoublesOrNaN(t1, a);
        batch.CopyDoublesOrNaN(t2, b);
        for (int i = 0; i < r.Length; i++)
        {
            if (!double.IsNaN(r[i])) continue;
            double x = a[i], y = b[i];
            r[i] = double.IsNaN(x) && double.IsNaN(y) ? double.NaN : (double.IsNaN(x) ? 0 : x) + (double.IsNaN(y) ? 0 : y);
        }
    }
}
