using System.Buffers.Binary;

namespace Metrify.Engine.Frames.Meter;

public sealed partial class SmlFrameDecoder
{
    // A meter sends the same frame every time except for a few numbers: transaction ids, its seconds counter, the
    // status words and values of its entries, and the CRCs. So the payload of the last frame decoded in full is kept
    // as a template, with those numbers' content bytes marked free and everything else (every type-length byte, ids,
    // units, scalers, names, octet strings) fixed. A payload equal to it in every fixed byte has the same structure,
    // so its entries are where the template's were: their numbers are read in place, the message CRCs are checked
    // over the same spans, and the walk over the TLV tree is skipped.
    private readonly FrameTemplate _template = new();
    private bool _templatable;
    private readonly List<(int Start, int Length)> _free = new();
    private readonly List<(int Start, int CrcAt)> _messages = new();
    private int _sensorTimeAt;
    private (int MeterIdLength, long SensorTime, long SensorSeconds, int SignatureStart, int SignatureLength) _templateResult;

    /// <summary>Starts recording a full decode as a possible template.</summary>
    private void BeginRecording()
    {
        _template.Clear();
        _templatable = true;
        _free.Clear();
        _messages.Clear();
        _sensorTimeAt = -1;
    }

    /// <summary>Marks the content of the numbers (and, when asked, octet strings) in data[from..to) free. Only
    /// one-byte type-lengths are looked into; anything else stays fixed, which is always safe.</summary>
    private void FreeNumbers(ReadOnlySpan<byte> data, int from, int to, bool octetsToo = false)
    {
        for (int p = from; p < to;)
        {
            byte b = data[p];
            if ((b & 0x80) != 0) return;
            int type = (b >> 4) & 7, length = b & 0x0F;
            if (type == 7) { p++; continue; }
            if (length < 1) return;
            if (type is 5 or 6 || (octetsToo && type == 0)) _free.Add((p + 1, length - 1));
            p += length;
        }
    }

    /// <summary>After a full decode that landed: the payload becomes the template.</summary>
    private void RememberTemplate(ReadOnlySpan<byte> payload, int meterIdLength, long sensorTime, long sensorSeconds, int signatureStart, int signatureLength)
    {
        if (!_templatable) return;
        _template.Take(payload);
        foreach (var (start, length) in _free) _template.Free(start, length);
        _templateResult = (meterIdLength, sensorTime, sensorSeconds, signatureStart, signatureLength);
    }

    /// <summary>
    /// Decodes a payload that matches the template: its message CRCs checked, its seconds counter and its entries'
    /// numbers read where the template had them. False when it does not match or a CRC fails (the full decode then
    /// runs, and says what is wrong).
    /// </summary>
    private bool TryDecodeFromTemplate(ReadOnlySpan<byte> payload, long start, long end, MeterFrameOutput output)
    {
        if (!_template.Matches(payload, digitsWhereFree: false)) return false;
        foreach (var (messageStart, crcAt) in _messages)
        {
            var r = new SmlReader(payload) { Position = crcAt };
            r.ReadTl(out _, out int crcLength);
            ushort messageCrc = (ushort)r.ReadNumber(SmlType.Unsigned, crcLength);
            if (Crc16.X25(payload[messageStart..crcAt]) != BinaryPrimitives.ReverseEndianness(messageCrc)) return false;
        }
        var (meterIdLength, sensorTime, sensorSeconds, signatureStart, signatureLength) = _templateResult;
        if (_sensorTimeAt >= 0)
        {
            var r = new SmlReader(payload) { Position = _sensorTimeAt };
            ReadTime(ref r, out sensorTime, out sensorSeconds);
        }
        for (int i = 0; i < _count; i++)
        {
            ref var e = ref _entries[i];
            if (e.Kind == ValueKind.Integer) e.Integer = SmlReader.Number(payload.Slice(e.ValueAt, e.ValueLength), e.ValueSigned);
            if (e.HasStatus) e.Status = SmlReader.Number(payload.Slice(e.StatusAt, e.StatusLength), e.StatusSigned);
        }
        Emit(payload, _meterId.AsSpan(0, meterIdLength), sensorTime, sensorSeconds, signatureStart, signatureLength, start, end, output);
        return true;
    }
}
