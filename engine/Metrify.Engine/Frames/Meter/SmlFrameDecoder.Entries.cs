using System.Buffers.Binary;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Frames.Meter;

/// <summary>The SML messages' contents: open and get-list responses, list entries, times and server ids.</summary>
public sealed partial class SmlFrameDecoder
{
    private void ReadOpen(ref SmlReader r, Span<byte> meterId, ref int meterIdLength)
    {
        if (!r.ReadList(6)) return;
        r.Skip(); // codepage
        r.Skip(); // client id
        int fileAt = r.Position;
        r.Skip(); // request file id (it changes with every frame)
        FreeNumbers(r.Data, fileAt, r.Position, octetsToo: true);
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
        _sensorTimeAt = r.Position;
        ReadTime(ref r, out sensorTime, out sensorSeconds);
        FreeNumbers(r.Data, _sensorTimeAt, r.Position); // read again from the template
        if (!r.ReadTl(out var type, out int entries) || type != SmlType.List) { r.Fail(); return; }
        for (int i = 0; i < entries && !r.Failed; i++)
            if (!TryReadEntryFast(ref r)) ReadEntry(ref r);
        var signature = r.ReadOctets();
        if (!signature.IsEmpty) { signatureStart = r.Position - signature.Length; signatureLength = signature.Length; }
        int gatewayTimeAt = r.Position;
        ReadTime(ref r, out _, out _); // gateway time
        FreeNumbers(r.Data, gatewayTimeAt, r.Position);
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
        int statusTl = p;
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
            e.Integer = SmlReader.Number(d.Slice(p + 1, n), signed: type == 5);
            (e.ValueAt, e.ValueLength, e.ValueSigned) = (p + 1, (byte)n, type == 5);
        }
        else return false;
        p += length;
        if (d[p++] != 0x01) return false; // a value signature: the general reader
        r.Position = p;
        _count++;
        if (e.HasStatus)
        {
            (e.StatusAt, e.StatusLength, e.StatusSigned) = (statusTl + 1, (byte)((d[statusTl] & 0x0F) - 1), d[statusTl] >> 4 == 5);
            _free.Add((e.StatusAt, e.StatusLength));
        }
        if (e.Kind == ValueKind.Integer) _free.Add((e.ValueAt, e.ValueLength));
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
        value = SmlReader.Number(d.Slice(p + 1, n), signed: type == 5);
        present = true;
        p += 1 + n;
        return true;
    }

    private void ReadEntry(ref SmlReader r)
    {
        _templatable = false; // only fast-path entries know where their numbers are
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
}
