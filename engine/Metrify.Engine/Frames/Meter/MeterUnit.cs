namespace Metrify.Engine.Frames.Meter;

/// <summary>
/// Units meters send, as P1 text ("kWh", "W", "m3") or DLMS unit codes (SML). Energy and power are normalised to
/// kilo units before they land (W to kW, Wh to kWh, var to kvar, VA to kVA); <see cref="Normalise"/> says how.
/// </summary>
public enum MeterUnit : byte
{
    None, Unknown, KWh, Wh, KW, W, KVarh, Varh, KVar, Var, KVA, VA, KVAh, VAh, V, A, Hz, M3, GJ, Seconds, Celsius, Degree, Percent,
}

public static class MeterUnits
{
    /// <summary>Parses a P1 unit (case-insensitive: "kwh" and "kVArh" are seen in the field). The unit's bytes,
    /// lower-cased, are packed into one integer and matched in a single switch.</summary>
    public static MeterUnit ParseText(ReadOnlySpan<byte> unit)
    {
        if (unit.IsEmpty) return MeterUnit.None;
        if (unit.Length > 8) return MeterUnit.Unknown;
        ulong v = 0;
        for (int i = 0; i < unit.Length; i++) v |= (ulong)(unit[i] | 0x20) << (8 * i);
        return v switch
        {
            0x68776B => MeterUnit.KWh,
            0x6877 => MeterUnit.Wh,
            0x776B => MeterUnit.KW,
            0x77 => MeterUnit.W,
            0x76 => MeterUnit.V,
            0x61 => MeterUnit.A,
            0x336D => MeterUnit.M3,
            0x73 => MeterUnit.Seconds,
            0x6A67 => MeterUnit.GJ,
            0x687261766B => MeterUnit.KVarh,
            0x68726176 => MeterUnit.Varh,
            0x7261766B => MeterUnit.KVar,
            0x726176 => MeterUnit.Var,
            0x61766B => MeterUnit.KVA,
            0x6176 => MeterUnit.VA,
            0x6861766B => MeterUnit.KVAh,
            0x686176 => MeterUnit.VAh,
            0x7A68 => MeterUnit.Hz,
            _ => MeterUnit.Unknown,
        };
    }

    /// <summary>DLMS/COSEM unit enumeration (IEC 62056-62) as SML carries it.</summary>
    public static MeterUnit FromDlms(int code) => code switch
    {
        27 => MeterUnit.W, 28 => MeterUnit.VA, 29 => MeterUnit.Var, 30 => MeterUnit.Wh, 31 => MeterUnit.VAh, 32 => MeterUnit.Varh,
        33 => MeterUnit.A, 35 => MeterUnit.V, 44 => MeterUnit.Hz, 8 => MeterUnit.Degree, 9 => MeterUnit.Celsius,
        13 => MeterUnit.M3, 56 => MeterUnit.Percent, 7 => MeterUnit.Seconds, 255 => MeterUnit.None, 0 => MeterUnit.None,
        _ => MeterUnit.Unknown,
    };

    /// <summary>The unit a value is stored in, and the power of ten to divide by to get there.</summary>
    public static MeterUnit Normalise(MeterUnit unit, out int divideExponent)
    {
        divideExponent = 3;
        switch (unit)
        {
            case MeterUnit.Wh: return MeterUnit.KWh;
            case MeterUnit.W: return MeterUnit.KW;
            case MeterUnit.Varh: return MeterUnit.KVarh;
            case MeterUnit.Var: return MeterUnit.KVar;
            case MeterUnit.VA: return MeterUnit.KVA;
            case MeterUnit.VAh: return MeterUnit.KVAh;
            default: divideExponent = 0; return unit;
        }
    }

    public static ReadOnlySpan<byte> Name(MeterUnit unit) => unit switch
    {
        MeterUnit.KWh => "kWh"u8, MeterUnit.Wh => "Wh"u8, MeterUnit.KW => "kW"u8, MeterUnit.W => "W"u8,
        MeterUnit.KVarh => "kvarh"u8, MeterUnit.Varh => "varh"u8, MeterUnit.KVar => "kvar"u8, MeterUnit.Var => "var"u8,
        MeterUnit.KVA => "kVA"u8, MeterUnit.VA => "VA"u8, MeterUnit.KVAh => "kVAh"u8, MeterUnit.VAh => "VAh"u8,
        MeterUnit.V => "V"u8, MeterUnit.A => "A"u8, MeterUnit.Hz => "Hz"u8, MeterUnit.M3 => "m3"u8, MeterUnit.GJ => "GJ"u8,
        MeterUnit.Seconds => "s"u8, MeterUnit.Celsius => "°C"u8, MeterUnit.Degree => "°"u8, MeterUnit.Percent => "%"u8,
        _ => default,
    };
}
