using System.Buffers.Binary;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Frames.Meter;

/// <summary>
/// Decodes one SML transport frame: checks the transport CRC-16/X-25 (low byte first), removes escapes and padding,
/// walks the SML messages checking each message's own CRC, and lands every list entry of the GetList responses:
/// known quantities in readings (value × 10^scaler, Wh→kWh, W→kW), everything else in registers. CRC-16/KERMIT is
/// accepted only for meters listed in <see cref="MeterFrameOptions.KermitMeters"/>. Allocation-free in steady state.
/// </summary>
public sealed class SmlFrameDecoder(MeterFrameOptions options)
{
    private enum ValueKind : byte { None, Integer, Boolean, Octets, List }

    private struct Entry
    {
        public Obis Obis;
        public int ObisStart, ObisLength; // the raw object name when it is not 6 bytes
        public bool HasStatus;
        public long Status;
        public long Time; // wall-clock valTime, or NoTime
        public int Unit, Scaler;
        public ValueKind Kind;
        public long Integer;
        public int Start, Length, ListCount; // octets, or the list's encoded bytes
        public int SignatureStart, SignatureLength;
    }

    private const int GetListResponse = 0x0701, OpenResponse = 0x0101;
    private readonly byte[] _unescaped = new byte[options.MaxFrameBytes];
    private readonly byte[] _text = new byte[options.MaxFrameBytes * 2 + 16];
    private Entry[] _entries = new Entry[64];
    private readonly byte[] _meterId = new byte[64];
    private readonly ObisTextCache _obisText = new();
    private int _count;
    private readonly HashSet<string> _kermitMeters = new(options.KermitMeters, StringComparer.Ordinal);

    /// <param name="escaped">The framer saw escaped sequences in the payload; without them it is read in place.</param>
    public void Decode(ReadOnlySpan<byte> frame, int endEscape, long sourceOffset, MeterFrameOutput output, bool escaped = true)
    {
        int padding = frame[endEscape + 5];
        var crcRegion = frame[..(endEscape + 6)];
        ushort sent = BinaryPrimitives.ReadUInt16LittleEndian(frame[(endEscape + 6)..]);
        bool kermit = false;
        if (Crc16.X25(crcRegion) != sent)
        {
            kermit = _kermitMeters.Count > 0 && Crc16.Kermit(crcRegion) == BinaryPrimitives.ReverseEndianness(sent);
            if (!kermit)
            {
                output.Reject(sourceOffset, frame, QuarantineReason.BadChecksum,
                    $"transport CRC-16/X-25 is {Crc16.X25(crcRegion):X4}, the frame says {sent:X4}", 0);
                return;
            }
        }
        if (padding > 3 || endEscape - 8 < padding)
        {
            output.Reject(sourceOffset, frame, QuarantineReason.MalformedFrame, $"padding count {padding} is not 0..3", 0);
            return;
        }
        var payload = escaped ? Unescape(frame[8..endEscape]) : frame[8..endEscape];
        payload = payload[..^padding];

        var meterId = _meterId.AsSpan();
        int meterIdLength = 0;
        long sensorTime = MeterFrameOutput.NoTime, sensorSeconds = -1;
        int listSignatureStart = 0, listSignatureLength = 0;
        _count = 0;
        var r = new SmlReader(payload);
        string? failure = null;
        while (!r.AtEnd && failure is null)
        {
            if (r.Peek() == 0x00) { r.Position++; continue; } // stray end-of-message / fill bytes between messages
            int messageStart = r.Position;
            if (!r.ReadList(6)) { failure = "a message is not a list of 6"; break; }
            r.ReadOctets(); // transaction id
            r.ReadInteger(out _, out _); // group
            r.ReadInteger(out _, out _); // abort on error
            if (!r.ReadList(2) || !r.ReadInteger(out long tag, out _)) { failure = "message body is malformed"; break; }
            if (tag == GetListResponse) ReadGetList(ref r, meterId, ref meterIdLength, ref sensorTime, ref sensorSeconds,
                ref listSignatureStart, ref listSignatureLength);
            else if (tag == OpenResponse && meterIdLength == 0) ReadOpen(ref r, meterId, ref meterIdLength);
            else r.Skip();
            if (r.Failed) { failure = $"message {tag:X4} is malformed at byte {r.Position}"; break; }
            int crcAt = r.Position;
            if (!r.ReadTl(out var crcType, out int crcLength) || crcType != SmlType.Unsigned || crcLength is < 1 or > 2)
            {
                failure = "message CRC field is missing";
                break;
            }
            // Sent low byte first, like the transport CRC; Holley's KERMIT variant high byte first. When that
            // 16-bit number has a zero high byte, some encoders shorten it to an Unsigned8.
            ushort messageCrc = (ushort)r.ReadNumber(SmlType.Unsigned, crcLength);
            var covered = payload[messageStart..crcAt];
            if (Crc16.X25(covered) != BinaryPrimitives.ReverseEndianness(messageCrc))
            {
                if (_kermitMeters.Count > 0 && Crc16.Kermit(covered) == messageCrc) kermit = true;
                else
                {
                    output.Reject(sourceOffset, frame, QuarantineReason.BadChecksum,
                        $"message {tag:X4}: CRC-16/X-25 is {Crc16.X25(covered):X4}, the message says {BinaryPrimitives.ReverseEndianness(messageCrc):X4}", 0);
                    return;
                }
            }
            if (!r.ReadTl(out var endType, out _) || endType != SmlType.EndOfMessage) failure = "end of message marker missing";
        }
        if (failure is not null)
        {
            output.Reject(sourceOffset, frame, QuarantineReason.MalformedFrame, failure, 0);
            return;
        }
        if (kermit && !_kermitMeters.Contains(System.Text.Encoding.ASCII.GetString(_meterId, 0, meterIdLength)))
        {
            output.Reject(sourceOffset, frame, QuarantineReason.BadChecksum,
                $"CRC matches CRC-16/KERMIT, but meter {System.Text.Encoding.ASCII.GetString(_meterId, 0, meterIdLength)} is not in Frames:KermitMeters", 0);
            return;
        }
        Emit(payload, _meterId.AsSpan(0, meterIdLength), sensorTime, sensorSeconds, listSignatureStart, listSignatureLength,
            sourceOffset, sourceOffset + frame.Length, output);
    }

    /// <summary>Removes doubled escape sequences (on 4-byte boundaries); most frames have none and are not copied.</summary>
    private ReadOnlySpan<byte> Unescape(ReadOnlySpan<byte> payload)
    {
        int e = payload.IndexOf(SmlFramer.Escape);
        if (e < 0) return payload;
        int written = 0, from = 0;
        while (e >= 0)
        {
            e += from;
            if ((e & 3) == 0 && e + 8 <= payload.Length)
            {
                payload[from..(e + 4)].CopyTo(_unescaped.AsSpan(written));
                written += e + 4 - from;
                from = e + 8;
            }
            else
            {
                payload[from..(e + 1)].CopyTo(_unescaped.AsSpan(written));
                written += e + 1 - from;
                from = e + 1;
            }
            e = payload[from..].IndexOf(SmlFramer.Escape);
        }
        payload[from..].CopyTo(_unescaped.AsSpan(written));
        written += payload.Length - from;
        return _unescaped.AsSpan(0, written);
    }

    private void ReadOpen(ref SmlReader r, Span<byte> meterId, ref int meterIdLength)
    {
        if (!r.ReadList(6)) return;
        r.Skip(); // codepage
        r.Skip(); // client id
        r.Skip(); // request file id
        meterIdLength = FormatServerIdCached(r.ReadOctets(), meterId);
        r.Skip(); // reference time
        r.Skip(); // SML version
    }

    private void ReadGetList(ref SmlReader r, Span<byte> meterId, ref int meterIdLength, ref long sensorTime, ref long sensorSeconds,
        ref int signatureStart, ref int signatureLength)
    {
        if (!r.ReadList(7)) return;
        r.Skip(); // client id
        var server = r.ReadOctets();
        if (!server.IsEmpty) meterIdLength = FormatServerIdCached(server, meterId);
        r.Skip(); // list name
        ReadTime(ref r, out sensorTime, out sensorSeconds);
        if (!r.ReadTl(out var type, out int entries) || type != SmlType.List) { r.Fail(); return; }
        for (int i = 0; i < entries && !r.Failed; i++)
            if (!TryReadEntryFast(ref r)) ReadEntry(ref r);
        var signature = r.ReadOctets();
        if (!signature.IsEmpty) { signatureStart = r.Position - signature.Length; signatureLength = signature.Length; }
        ReadTime(ref r, out _, out _); // gateway time
    }

    /// <summary>
    /// The shape nearly every meter sends: a 6-byte name; status, unit and scaler absent or one-TL-byte numbers; no
    /// valTime; a number or an octet string (also with a two-byte TL, as signatures have); no value signature. Read
    /// with a local cursor, which the JIT keeps in a register. Anything else (or anything odd) returns false and the
    /// general reader takes the entry from its start.
    /// </summary>
    private bool TryReadEntryFast(ref SmlReader r)
    {
        var d = r.Data;
        int p = r.Position;
        if (p + 13 > d.Length || d[p] != 0x77 || d[p + 1] != 0x07) return false;
        if (_count == _entries.Length) Array.Resize(ref _entries, _count * 2);
        ref var e = ref _entries[_count];
        e = default;
        e.Obis = Obis.FromBytes(d.Slice(p + 2, 6));
        p += 8;
        if (!Optional(d, ref p, out e.Status, out e.HasStatus) || d[p++] != 0x01) return false; // status, valTime absent
        if (!Optional(d, ref p, out long unit, out bool hasUnit) || !Optional(d, ref p, out long scaler, out _)) return false;
        e.Time = MeterFrameOutput.NoTime;
        e.Unit = hasUnit ? (int)unit : 255;
        e.Scaler = (int)Math.Clamp(scaler, -30, 30);
        if (p + 2 > d.Length) return false;
        byte b = d[p];
        int type = (b >> 4) & 7, length = b & 0x0F, tl = 1;
        if ((b & 0x80) != 0)
        {
            byte b2 = d[p + 1];
            if ((b2 & 0xF0) != 0 || type != 0) return false;
            length = (length << 4) | b2;
            tl = 2;
        }
        int n = length - tl;
        if (n < 0 || p + length + 1 > d.Length) return false;
        if (type == 0)
        {
            e.Kind = ValueKind.Octets;
            e.Start = p + tl;
            e.Length = n;
        }
        else if (type is 5 or 6 && n is >= 1 and <= 8)
        {
            e.Kind = ValueKind.Integer;
            r.Position = p + 1;
            e.Integer = r.ReadNumber((SmlType)type, n);
        }
        else return false;
        p += length;
        if (d[p++] != 0x01) return false; // a value signature: the general reader
        r.Position = p;
        _count++;
        return true;
    }

    /// <summary>An optional number with a one-byte TL, or 01 for absent.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static bool Optional(ReadOnlySpan<byte> d, ref int p, out long value, out bool present)
    {
        value = 0;
        present = false;
        if (p >= d.Length) return false;
        byte b = d[p];
        if (b == 0x01) { p++; return true; }
        int type = b >> 4, n = (b & 0x0F) - 1;
        if (type is not (5 or 6) || n is < 1 or > 8 || p + 1 + n > d.Length) return false;
        ulong v = 0;
        for (int i = 1; i <= n; i++) v = (v << 8) | d[p + i];
        value = type == 5 && n < 8 ? (long)(v << (64 - 8 * n)) >> (64 - 8 * n) : (long)v;
        present = true;
        p += 1 + n;
        return true;
    }

    private void ReadEntry(ref SmlReader r)
    {
        if (!r.ReadList(7)) return;
        if (_count == _entries.Length) Array.Resize(ref _entries, _count * 2);
        ref var e = ref _entries[_count];
        e = default;
        var name = r.ReadOctets();
        if (name.Length == 6) e.Obis = Obis.FromBytes(name);
        else { e.ObisStart = r.Position - name.Length; e.ObisLength = name.Length; }
        r.ReadInteger(out e.Status, out e.HasStatus);
        ReadTime(ref r, out e.Time, out _);
        r.ReadInteger(out long unit, out bool hasUnit);
        e.Unit = hasUnit ? (int)unit : 255;
        r.ReadInteger(out long scaler, out _);
        e.Scaler = (int)Math.Clamp(scaler, -30, 30);
        int valueAt = r.Position;
        if (!r.ReadTl(out var type, out int length)) return;
        switch (type)
        {
            case SmlType.Octets:
                e.Kind = ValueKind.Octets;
                e.Start = r.Position;
                e.Length = length;
                r.Position += length;
                break;
            case SmlType.Integer or SmlType.Unsigned or SmlType.Boolean:
                if (length is < 1 or > 8) { r.Fail(); return; }
                e.Kind = type == SmlType.Boolean ? ValueKind.Boolean : ValueKind.Integer;
                e.Integer = r.ReadNumber(type, length);
                break;
            case SmlType.List:
                e.Kind = ValueKind.List;
                e.ListCount = length;
                for (int i = 0; i < length && !r.Failed; i++) r.Skip(1);
                e.Start = valueAt;
                e.Length = r.Position - valueAt;
                break;
            default:
                r.Fail();
                return;
        }
        var signature = r.ReadOctets();
        if (!signature.IsEmpty) { e.SignatureStart = r.Position - signature.Length; e.SignatureLength = signature.Length; }
        if (!r.Failed) _count++;
    }

    /// <summary>SML_Time: a list (choice 1 seconds index, 2 Unix timestamp, 3 local timestamp with offsets), a bare
    /// unsigned (Holley: a seconds index), or absent. Only 2 and 3 are wall-clock instants.</summary>
    private static void ReadTime(ref SmlReader r, out long utcMicros, out long secondsIndex)
    {
        utcMicros = MeterFrameOutput.NoTime;
        secondsIndex = -1;
        if (!r.ReadTl(out var type, out int length)) return;
        if (type == SmlType.Octets) { r.Position += length; return; } // absent
        if (type is SmlType.Unsigned or SmlType.Integer)
        {
            if (length is < 1 or > 8) { r.Fail(); return; }
            secondsIndex = r.ReadNumber(type, length);
            return;
        }
        if (type != SmlType.List || length != 2) { r.Fail(); return; }
        r.ReadInteger(out long choice, out _);
        if (choice == 3)
        {
            if (!r.ReadList(3)) return;
            r.ReadInteger(out long ts, out _);
            r.ReadInteger(out _, out _);
            r.ReadInteger(out _, out _);
            utcMicros = ts * 1_000_000;
            return;
        }
        r.ReadInteger(out long value, out _);
        if (choice == 2) utcMicros = value * 1_000_000;
        else secondsIndex = value;
    }

    /// <summary>
    /// A server id shaped like DIN 43863-5 (type, medium, 3-letter manufacturer, fabrication block, 4-byte serial)
    /// reads as "1DNT0100008240"; a printable ASCII id as itself; anything else as hex.
    /// </summary>
    private static int FormatServerId(ReadOnlySpan<byte> id, Span<byte> destination)
    {
        if (id.Length is > 0 and <= 64 && id.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7E) < 0)
        {
            id.CopyTo(destination);
            return id.Length;
        }
        if (id.Length == 10 && IsUpper(id[2]) && IsUpper(id[3]) && IsUpper(id[4]) && id[1] <= 0x0F)
        {
            destination[0] = (byte)(id[1] < 10 ? '0' + id[1] : 'A' + id[1] - 10);
            id.Slice(2, 3).CopyTo(destination[1..]);
            System.Buffers.Text.Utf8Formatter.TryFormat(id[5], destination[4..], out _, new System.Buffers.StandardFormat('X', 2));
            System.Buffers.Text.Utf8Formatter.TryFormat(BinaryPrimitives.ReadUInt32BigEndian(id[6..]), destination[6..], out int n,
                new System.Buffers.StandardFormat('D', 8));
            return 6 + n;
        }
        return Hex(id, destination);
    }

    private readonly byte[] _lastServer = new byte[64];
    private int _lastServerLength = -1, _lastIdLength;

    /// <summary>
    /// A meter sends the same server id in every frame: it is formatted once. Every id goes through here, so the
    /// meter-id buffer always holds the formatting of the last id seen (or the cache is marked empty).
    /// </summary>
    private int FormatServerIdCached(ReadOnlySpan<byte> id, Span<byte> destination)
    {
        if (_lastServerLength == id.Length && id.SequenceEqual(_lastServer.AsSpan(0, id.Length))) return _lastIdLength;
        int n = FormatServerId(id, destination);
        if (id.Length <= _lastServer.Length)
        {
            id.CopyTo(_lastServer);
            (_lastServerLength, _lastIdLength) = (id.Length, n);
        }
        else _lastServerLength = -1;
        return n;
    }

    private static bool IsUpper(byte b) => b is >= (byte)'A' and <= (byte)'Z';

    private static int Hex(ReadOnlySpan<byte> bytes, Span<byte> destination)
    {
        int n = Math.Min(bytes.Length, destination.Length / 2);
        Convert.TryToHexString(bytes[..n], destination, out int written);
        return written;
    }

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
            var obis = e.ObisLength > 0 ? HexText(payload.Slice(e.ObisStart, e.ObisLength)) : _obisText.Get(e.Obis);
            var unit = MeterUnits.Normalise(MeterUnits.FromDlms(e.Unit), out int exponent);
            if (e.Kind == ValueKind.Integer)
            {
                double value = P1Values.Scale(e.Integer, exponent - e.Scaler);
                var wanted = MeterUnit.Unknown;
                int column = e.Obis.A == 1 ? ReadingQuantities.Column(e.Obis.Cde, out wanted) : -1;
                if (column != -1 && unit == wanted && ReadingQuantities.Stage(output, column, value))
                {
                    if (e.HasStatus) // the status word has no readings column: keep it
                        output.AddRegister(obis, 0, false, 0, default, default, false, e.Time, true, e.Status, QualityFlags.None, start, end);
                }
                else
                {
                    output.AddRegister(obis, 0, true, value, UnitName(unit, e.Unit), default, false, e.Time, e.HasStatus, e.Status,
                        QualityFlags.None, start, end);
                }
            }
            else if (e.Kind == ValueKind.Boolean)
                output.AddRegister(obis, 0, true, e.Integer != 0 ? 1 : 0, default, default, false, e.Time, e.HasStatus, e.Status, QualityFlags.None, start, end);
            else if (e.Kind == ValueKind.Octets)
                output.AddRegister(obis, 0, false, 0, default, Text(payload.Slice(e.Start, e.Length)), true, e.Time, e.HasStatus, e.Status,
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

    private static ReadOnlySpan<byte> UnitName(MeterUnit unit, int dlmsCode) => unit == MeterUnit.Unknown ? "dlms:unknown"u8 : MeterUnits.Name(unit);

    /// <summary>Printable ASCII as is (manufacturer ids, firmware versions), anything else as hex.</summary>
    private ReadOnlySpan<byte> Text(ReadOnlySpan<byte> octets) =>
        octets.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) < 0 ? octets : HexText(octets);

    private ReadOnlySpan<byte> HexText(ReadOnlySpan<byte> octets) => _text.AsSpan(0, Hex(octets, _text));
}
