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
    /// <summary>Parses a P1 unit (case-insensitive: "kwh" and "kVArh" are seen in the field).</summary>
    public static MeterUnit ParseText(ReadOnlySpan<byte> unit)
    {
        if (unit.IsEmpty) return MeterUnit.None;
        Span<byte> lower = stackalloc byte[8];
        if (unit.Length > lower.Length) return MeterUnit.Unknown;
        for (int i = 0; i < unit.Length; i++) lower[i] = (byte)(unit[i] | 0x20);
        return lower[..unit.Length] switch
        {
            var u when u.SequenceEqual("kwh"u8) => MeterUnit.KWh,
            var u when u.SequenceEqual("wh"u8) => MeterUnit.Wh,
            var u when u.SequenceEqual("kw"u8) => MeterUnit.KW,
            var u when u.SequenceEqual("w"u8) => MeterUnit.W,
            var u when u.SequenceEqual("v"u8) => MeterUnit.V,
            var u when u.SequenceEqual("a"u8) => MeterUnit.A,
            var u when u.SequenceEqual("m3"u8) => MeterUnit.M3,
            var u when u.SequenceEqual("s"u8) => MeterUnit.Seconds,
            var u when u.SequenceEqual("gj"u8) => MeterUnit.GJ,
            var u when u.SequenceEqual("kvarh"u8) => MeterUnit.KVarh,
            var u when u.SequenceEqual("varh"u8) => MeterUnit.Varh,
            var u when u.SequenceEqual("kvar"u8) => MeterUnit.KVar,
            var u when u.SequenceEqual("var"u8) => MeterUnit.Var,
            var u when u.SequenceEqual("kva"u8) => MeterUnit.KVA,
            var u when u.SequenceEqual("va"u8) => MeterUnit.VA,
            var u when u.SequenceEqual("kvah"u8) => MeterUnit.KVAh,
            var u when u.SequenceEqual("vah"u8) => MeterUnit.VAh,
            var u when u.SequenceEqual("hz"u8) => MeterUnit.Hz,
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
