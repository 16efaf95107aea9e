using Metrify.Engine.Columnar;

namespace Metrify.Engine.Frames.Meter;

/// <summary>Decoded list entries into rows: readings for the known quantities, registers for the rest.</summary>
public sealed partial class SmlFrameDecoder
{
    private void Emit(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> meterId, long sensorTime, long sensorSeconds,
        int signatureStart, int signatureLength, long start, long end, MeterFrameOutput output)
    {
        long time = sensorTime;
        for (int i = 0; i < _count && time == MeterFrameOutput.NoTime; i++) time = _entries[i].Time;
        output.BeginFrame(meterId, time, time == MeterFrameOutput.NoTime ? QualityFlags.NoMeterClock : QualityFlags.None);
        if (sensorSeconds >= 0)
            output.AddRegister("sml:sensor_seconds_index"u8, 0, true, sensorSeconds, "s"u8, default, false, MeterFrameOutput.NoTime, false, 0,
                QualityFlags.None, start, end);
        for (int i = 0; i < _count; i++)
        {
            ref var e = ref _entries[i];
            if (!e.Prepared) Prepare(ref e, payload);
            var obis = _entryTexts.AsSpan(e.NameAt, e.NameLength);
            var unit = e.NormalUnit;
            if (e.Kind == ValueKind.Integer)
            {
                double value = P1Values.Scale(e.Integer, e.ScaleExponent);
                if (e.Reading && ReadingQuantities.Stage(output, e.Column, value))
                {
                    if (e.HasStatus) // the status word has no readings column: keep it
                        output.AddRegister(obis, 0, false, 0, default, default, false, e.Time, true, e.Status, QualityFlags.None, start, end);
                }
                else
                {
                    output.AddRegister(obis, 0, true, value, UnitName(unit), default, false, e.Time, e.HasStatus, e.Status,
                        QualityFlags.None, start, end);
                }
            }
            else if (e.Kind == ValueKind.Boolean)
                output.AddRegister(obis, 0, true, e.Integer != 0 ? 1 : 0, default, default, false, e.Time, e.HasStatus, e.Status, QualityFlags.None, start, end);
            else if (e.Kind == ValueKind.Octets)
                output.AddRegister(obis, 0, false, 0, default, _entryTexts.AsSpan(e.TextAt, e.TextLength), true, e.Time, e.HasStatus, e.Status,
                    QualityFlags.None, start, end);
            else if (e.Kind == ValueKind.List)
                EmitList(payload.Slice(e.Start, e.Length), obis, e, start, end, output);
            if (e.SignatureLength > 0)
                output.AddRegister(obis, 1, false, 0, default, HexText(payload.Slice(e.SignatureStart, e.SignatureLength)), true,
                    MeterFrameOutput.NoTime, false, 0, QualityFlags.None, start, end);
        }
        if (signatureLength > 0)
            output.AddRegister("sml:list_signature"u8, 0, false, 0, default, HexText(payload.Slice(signatureStart, signatureLength)), true,
                MeterFrameOutput.NoTime, false, 0, QualityFlags.None, start, end);
        output.EndFrame(start, end);
    }

    private byte[] _entryTexts = new byte[1024];
    private int _entryTextsLength; // emptied when a frame is decoded in full

    /// <summary>
    /// Works out once what an entry's unit, scale and column are, its name as text, and the text of an octet-string value. The decoder
    /// keeps its entries while frames match the template, whose units, scalers, names and octet strings are fixed,
    /// so this holds for them; a frame decoded in full makes new entries (and drops the texts).
    /// </summary>
    private void Prepare(ref Entry e, ReadOnlySpan<byte> payload)
    {
        e.NormalUnit = MeterUnits.Normalise(MeterUnits.FromDlms(e.Unit), out int exponent);
        e.ScaleExponent = exponent - e.Scaler;
        var wanted = MeterUnit.Unknown;
        e.Column = e.Obis.A == 1 ? ReadingQuantities.Column(e.Obis.Cde, out wanted) : -1;
        e.Reading = e.Column != -1 && e.NormalUnit == wanted;
        (e.NameAt, e.NameLength) = KeepText(e.ObisLength > 0 ? HexText(payload.Slice(e.ObisStart, e.ObisLength)) : _obisText.Get(e.Obis));
        if (e.Kind == ValueKind.Octets) (e.TextAt, e.TextLength) = KeepText(Text(payload.Slice(e.Start, e.Length)));
        e.Prepared = true;
    }

    /// <summary>Copies a text into the entries' own buffer (it outlives the scratch the text may be in).</summary>
    private (int At, int Length) KeepText(ReadOnlySpan<byte> text)
    {
        if (_entryTexts.Length < _entryTextsLength + text.Length) Array.Resize(ref _entryTexts, (_entryTextsLength + text.Length) * 2);
        text.CopyTo(_entryTexts.AsSpan(_entryTextsLength));
        int at = _entryTextsLength;
        _entryTextsLength += text.Length;
        return (at, text.Length);
    }

    /// <summary>A list-valued entry (EMH gateways): one registers row per element, numbers scaled like the entry.</summary>
    private void EmitList(ReadOnlySpan<byte> encoded, ReadOnlySpan<byte> obis, in Entry e, long start, long end, MeterFrameOutput output)
    {
        var r = new SmlReader(encoded);
        r.ReadTl(out _, out int count);
        for (int i = 0; i < count && !r.Failed; i++)
        {
            int at = r.Position;
            if (!r.ReadTl(out var type, out int length)) break;
            if (type is SmlType.Integer or SmlType.Unsigned && length is >= 1 and <= 8)
            {
                long v = r.ReadNumber(type, length);
                output.AddRegister(obis, i, true, P1Values.Scale(v, -e.Scaler), default, default, false, e.Time, e.HasStatus, e.Status,
                    QualityFlags.None, start, end);
                continue;
            }
            r.Position = at;
            if (!r.Skip(1)) break;
            output.AddRegister(obis, i, false, 0, default, HexText(encoded[at..r.Position]), true, e.Time, e.HasStatus, e.Status,
                QualityFlags.None, start, end);
        }
    }

    private static ReadOnlySpan<byte> UnitName(MeterUnit unit) => unit == MeterUnit.Unknown ? "dlms:unknown"u8 : MeterUnits.Name(unit);

    /// <summary>Printable ASCII as is (manufacturer ids, firmware versions), anything else as hex.</summary>
    private ReadOnlySpan<byte> Text(ReadOnlySpan<byte> octets) =>
        octets.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) < 0 ? octets : HexText(octets);

    private ReadOnlySpan<byte> HexText(ReadOnlySpan<byte> octets) => _text.AsSpan(0, Hex(octets, _text));
}
