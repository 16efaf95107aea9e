using System.Runtime.CompilerServices;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Frames.Meter;

/// <summary>
/// The OBIS quantities (electricity, A = 1, channel B = 0) that have a column in <c>readings</c>, with the unit the
/// column holds. P1 and SML share it; anything not listed goes to <c>registers</c>.
/// </summary>
public static class ReadingQuantities
{
    private static readonly TableSpec R = Tables.Readings;
    public static readonly int ImportT1 = R.IndexOf("import_t1_kwh"), ImportT2 = R.IndexOf("import_t2_kwh"),
        ExportT1 = R.IndexOf("export_t1_kwh"), ExportT2 = R.IndexOf("export_t2_kwh"),
        ImportTotal = R.IndexOf("import_total_kwh"), ExportTotal = R.IndexOf("export_total_kwh"),
        ImportPower = R.IndexOf("import_power_kw"), ExportPower = R.IndexOf("export_power_kw"),
        ImportL1 = R.IndexOf("import_power_l1_kw"), ImportL2 = R.IndexOf("import_power_l2_kw"), ImportL3 = R.IndexOf("import_power_l3_kw"),
        ExportL1 = R.IndexOf("export_power_l1_kw"), ExportL2 = R.IndexOf("export_power_l2_kw"), ExportL3 = R.IndexOf("export_power_l3_kw"),
        VoltageL1 = R.IndexOf("voltage_l1_v"), VoltageL2 = R.IndexOf("voltage_l2_v"), VoltageL3 = R.IndexOf("voltage_l3_v"),
        CurrentL1 = R.IndexOf("current_l1_a"), CurrentL2 = R.IndexOf("current_l2_a"), CurrentL3 = R.IndexOf("current_l3_a"),
        PowerFactor = R.IndexOf("power_factor"), Frequency = R.IndexOf("frequency_hz");

    /// <summary>Sum active power, signed (+ import, − export): SML's 16.7.0 and per-phase 36/56/76.7.0 are split into
    /// the import and export columns.</summary>
    public const int SignedSum = -2, SignedL1 = -3, SignedL2 = -4, SignedL3 = -5;

    /// <summary>The readings column for a C.D.E code of an electricity object, or -1; and the normalised unit it needs.</summary>
    public static int Column(uint cde, out MeterUnit unit)
    {
        unit = MeterUnit.KWh;
        switch (cde)
        {
            case 0x010801: return ImportT1;
            case 0x010802: return ImportT2;
            case 0x020801: return ExportT1;
            case 0x020802: return ExportT2;
            case 0x010800: return ImportTotal;
            case 0x020800: return ExportTotal;
        }
        unit = MeterUnit.KW;
        switch (cde)
        {
            case 0x010700: return ImportPower;
            case 0x020700: return ExportPower;
            case 0x150700: return ImportL1;
            case 0x290700: return ImportL2;
            case 0x3D0700: return ImportL3;
            case 0x160700: return ExportL1;
            case 0x2A0700: return ExportL2;
            case 0x3E0700: return ExportL3;
            case 0x100700: return SignedSum;
            case 0x240700: return SignedL1;
            case 0x380700: return SignedL2;
            case 0x4C0700: return SignedL3;
        }
        unit = MeterUnit.V;
        switch (cde)
        {
            case 0x200700: return VoltageL1;
            case 0x340700: return VoltageL2;
            case 0x480700: return VoltageL3;
        }
        unit = MeterUnit.A;
        switch (cde)
        {
            case 0x1F0700: return CurrentL1;
            case 0x330700: return CurrentL2;
            case 0x470700: return CurrentL3;
        }
        unit = MeterUnit.None;
        if (cde == 0x0D0700) return PowerFactor;
        unit = MeterUnit.Hz;
        if (cde == 0x0E0700) return Frequency;
        return -1;
    }

    /// <summary>Stages a value; signed powers go to import (≥ 0) or export (&lt; 0) as a positive number. Returns false
    /// when the column already has a value from this frame (the duplicate then goes to registers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Stage(MeterFrameOutput output, int column, double value)
    {
        if (column < -1)
        {
            (int imp, int exp) = column switch
            {
                SignedSum => (ImportPower, ExportPower),
                SignedL1 => (ImportL1, ExportL1),
                SignedL2 => (ImportL2, ExportL2),
                _ => (ImportL3, ExportL3),
            };
            if (output.IsStaged(imp) || output.IsStaged(exp)) return false;
            output.StageReading(imp, value > 0 ? value : 0);
            output.StageReading(exp, value < 0 ? -value : 0);
            return true;
        }
        if (output.IsStaged(column)) return false;
        output.StageReading(column, value);
        return true;
    }
}
