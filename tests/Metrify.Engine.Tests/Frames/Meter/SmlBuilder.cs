using System.Buffers.Binary;
using Metrify.Engine.Frames.Meter;

namespace Metrify.Engine.Tests.Frames.Meter;

/// <summary>Writes SML 1.04 files byte by byte, for meter variants that have no capture in the conformance folder.</summary>
public sealed class SmlBuilder
{
    private readonly List<byte> _b = new();

    public SmlBuilder Raw(params byte[] bytes) { _b.AddRange(bytes); return this; }
    public SmlBuilder List(int n) => Raw((byte)(0x70 | n));
    public SmlBuilder Absent() => Raw(0x01);

    public SmlBuilder Octets(byte[] v)
    {
        int total = v.Length + 1;
        if (total <= 15) Raw((byte)total);
        else
        {
            total = v.Length + 2;
            Raw((byte)(0x80 | (total >> 4)), (byte)(total & 0x0F));
        }
        return Raw(v);
    }

    public SmlBuilder Unsigned(ulong v, int width)
    {
        Raw((byte)(0x60 | (width + 1)));
        for (int i = width - 1; i >= 0; i--) Raw((byte)(v >> (8 * i)));
        return this;
    }

    public SmlBuilder Integer(long v, int width)
    {
        Raw((byte)(0x50 | (width + 1)));
        for (int i = width - 1; i >= 0; i--) Raw((byte)(v >> (8 * i)));
        return this;
    }

    /// <summary>One SML message around a body written by <paramref name="body"/>, with its CRC.</summary>
    public SmlBuilder Message(int tag, Action<SmlBuilder> body, bool kermit = false)
    {
        int start = _b.Count;
        List(6).Octets([0x01, 0x02]).Unsigned(0, 1).Unsigned(0, 1).List(2).Unsigned((ulong)tag, 2);
        body(this);
        var covered = _b.GetRange(start, _b.Count - start).ToArray();
        ushort crc = kermit ? BinaryPrimitives.ReverseEndianness(Crc16.Kermit(covered)) : Crc16.X25(covered);
        return Raw(0x63, (byte)crc, (byte)(crc >> 8), 0x00);
    }

    public static byte[] ServerId => [0x0A, 0x01, (byte)'E', (byte)'M', (byte)'H', 0x00, 0x00, 0x12, 0xD6, 0x87];

    /// <summary>OpenResponse + GetListResponse with the entries + CloseResponse.</summary>
    public static SmlBuilder File(Action<SmlBuilder> entries, int entryCount, Action<SmlBuilder>? sensorTime = null, bool kermit = false)
    {
        var s = new SmlBuilder();
        s.Message(0x0101, m => m.List(6).Absent().Absent().Octets([1, 2, 3]).Octets(ServerId).Absent().Absent(), kermit);
        s.Message(0x0701, m =>
        {
            m.List(7).Absent().Octets(ServerId).Absent();
            if (sensorTime is null) m.Absent(); else sensorTime(m);
            m.List(entryCount);
            entries(m);
            m.Absent().Absent();
        }, kermit);
        s.Message(0x0201, m => m.List(1).Absent(), kermit);
        return s;
    }

    /// <summary>An SML_ListEntry: name, status, valTime, unit, scaler, value, signature.</summary>
    public SmlBuilder Entry(byte[] obis, int unit, int scaler, Action<SmlBuilder> value, Action<SmlBuilder>? valTime = null, ulong? status = null)
    {
        List(7).Octets(obis);
        if (status is { } st) Unsigned(st, 3); else Absent();
        if (valTime is null) Absent(); else valTime(this);
        if (unit < 0) Absent(); else Unsigned((ulong)unit, 1);
        Integer(scaler, 1);
        value(this);
        return Absent();
    }

    /// <summary>The transport frame: escapes, padding to 4 bytes, end escape and CRC (X-25 low byte first, or KERMIT high first).</summary>
    public byte[] Frame(bool kermit = false)
    {
        var payload = new List<byte>();
        var bytes = _b.ToArray();
        for (int i = 0; i < bytes.Length; i++)
        {
            // Escape an aligned 1B1B1B1B by sending it twice (the builder keeps payload blocks aligned).
            if (i % 4 == 0 && i + 4 <= bytes.Length && bytes.AsSpan(i, 4).SequenceEqual(SmlFramer.Escape))
            {
                payload.AddRange(SmlFramer.Escape.ToArray());
                payload.AddRange(SmlFramer.Escape.ToArray());
                i += 3;
                continue;
            }
            payload.Add(bytes[i]);
        }
        int padding = (4 - payload.Count % 4) % 4;
        var frame = new List<byte>(SmlFramer.Start.ToArray());
        frame.AddRange(payload);
        frame.AddRange(new byte[padding]);
        frame.AddRange(SmlFramer.Escape.ToArray());
        frame.Add(0x1A);
        frame.Add((byte)padding);
        ushort crc = kermit ? Crc16.Kermit(frame.ToArray()) : Crc16.X25(frame.ToArray());
        if (kermit) { frame.Add((byte)(crc >> 8)); frame.Add((byte)crc); }
        else { frame.Add((byte)crc); frame.Add((byte)(crc >> 8)); }
        return frame.ToArray();
    }

    public static byte[] Obis(int a, int b, int c, int d, int e, int f = 255) => [(byte)a, (byte)b, (byte)c, (byte)d, (byte)e, (byte)f];
}
