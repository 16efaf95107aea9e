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

    private int _templatePadding = -1; // the padding of the template's frame; -1: it cannot frame (see FrameFromTemplate)

    /// <summary>
    /// Frames the frame at the start of <paramref name="data"/> by the template: the start sequence, a payload the
    /// template matches, the template frame's padding, then the end escape right where the template's was. The framer
    /// would find that end too: the template's frame had no 1B1B1B1B anywhere between its start and end sequences,
    /// the fixed bytes are the template's, and no free byte or padding byte may be 0x1B, so no window of four 0x1B
    /// bytes can start before the end escape. Null when it does not fit: the caller then scans. Spares the framer's
    /// search of every byte for escapes.
    /// </summary>
    internal FrameScan? FrameFromTemplate(ReadOnlySpan<byte> data, int maxFrameBytes)
    {
        int length = _template.Length, padding = _templatePadding;
        if (padding < 0 || length < 0) return null;
        int endEscape = 8 + length + padding;
        if (endEscape + 8 > data.Length || endEscape + 4 > maxFrameBytes || !data.StartsWith(SmlFramer.Start)
            || BinaryPrimitives.ReadUInt32LittleEndian(data[endEscape..]) != 0x1B1B1B1B || data[endEscape + 4] != 0x1A
            || data.Slice(8 + length, padding).Contains((byte)0x1B)
            || !_template.Matches(data.Slice(8, length), FrameTemplate.FreeBytes.NotEscape))
            return null;
        return new FrameScan(FrameScanKind.Frame, endEscape + 8, endEscape, Matched: true);
    }

    /// <summary>Starts recording a full decode as a possible template.</summary>
    private void BeginRecording()
    {
        _template.Clear();
        _templatePadding = -1;
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
    /// <param name="framing">The frame's padding when the template may frame the next ones (no escape sequence
    /// anywhere between its start and end sequences), else -1.</param>
    private void RememberTemplate(ReadOnlySpan<byte> payload, int meterIdLength, long sensorTime, long sensorSeconds, int signatureStart,
        int signatureLength, int framing)
    {
        if (!_templatable) return;
        _template.Take(payload);
        _templatePadding = framing;
        foreach (var (start, length) in _free) _template.Free(start, length);
        _templateResult = (meterIdLength, sensorTime, sensorSeconds, signatureStart, signatureLength);
    }

    /// <summary>
    /// Decodes a payload that matches the template: its message CRCs checked, its seconds counter and its entries'
    /// numbers read where the template had them. False when it does not match or a CRC fails (the full decode then
    /// runs, and says what is wrong).
    /// </summary>
    private bool TryDecodeFromTemplate(ReadOnlySpan<byte> payload, long start, long end, MeterFrameOutput output, bool matched)
    {
        if (!matched && !_template.Matches(payload, FrameTemplate.FreeBytes.Any)) return false;
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
