using System.Buffers.Binary;
using System.Buffers.Text;
using Metrify.Engine.Frames.Meter;

namespace Metrify.Engine.Simulation;

/// <summary>
/// Writes simulated readings as meter frames: DSMR 5 P1 telegrams (CRC-16/ARC) or SML 1.04 transport frames
/// (OpenResponse, GetListResponse with a Unix-time sensor time, CloseResponse; X-25 CRCs). Cumulative registers
/// per meter and tariff grow with every reading written. A faulty frame is damaged after its checksum was computed
/// (one byte flipped), or cut off before its end, so the decoder must quarantine it.
/// </summary>
internal sealed class MeterFrameWriter : IFaultPosition, IDisposable
{
    public enum Fault { None, Corrupt, Truncate }

    private readonly FileStream _file;
    private readonly bool _sml;
    private readonly byte[] _buffer = new byte[1 << 20];
    private readonly byte[] _frame = new byte[2048];
    private readonly double[] _registers; // per meter: import T1, import T2, export T1, export T2 (kWh)
    private int _pos;
    private int _lastStart, _lastLength;
    private long _flushed;

    public MeterFrameWriter(string path, SimulationFormat format, int meters)
    {
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1);
        _sml = format == SimulationFormat.Sml;
        _registers = new double[meters * 4];
        Path = path;
    }

    public string Path { get; }

    /// <summary>Byte offset of the last frame written (where the decoder reports it).</summary>
    public long Position { get; private set; }

    public void Write(int meter, ReadOnlySpan<byte> meterId, long utcMicros, double consumptionKwh, double exportKwh, double hours,
        double voltage, double current, double frequency, Fault fault, double[]? registers = null)
    {
        int tariff = Tariff(utcMicros);
        ReadOnlySpan<double> reg = registers ?? Count(meter, utcMicros, consumptionKwh, exportKwh);
        double importKw = consumptionKwh / hours, exportKw = exportKwh / hours;
        int length = _sml
            ? Sml(meterId, utcMicros, reg, importKw - exportKw, voltage, current, frequency)
            : P1(meterId, utcMicros, reg, tariff, importKw, exportKw, voltage, current);
        var frame = _frame.AsSpan(0, length);
        if (fault == Fault.Corrupt) frame[length / 2] ^= 0x04; // after the checksum: the decoder must notice
        if (fault == Fault.Truncate) frame = frame[..(length * 2 / 3)];
        Append(frame);
    }

    /// <summary>NL tariffs: 1 = low (nights 23-07 local and weekends), 2 = normal.</summary>
    private static int Tariff(long utcMicros)
    {
        var local = DateTime.UnixEpoch.AddTicks(utcMicros * 10).AddHours(1);
        return local.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday || local.Hour is >= 23 or < 7 ? 1 : 2;
    }

    /// <summary>Counts a reading's energy into the meter's registers and returns them as they now stand: a frame
    /// held back and sent late carries the registers of its own time (pass them to <see cref="Write"/>).</summary>
    public double[] Advance(int meter, long utcMicros, double consumptionKwh, double exportKwh) =>
        Count(meter, utcMicros, consumptionKwh, exportKwh).ToArray();

    private Span<double> Count(int meter, long utcMicros, double consumptionKwh, double exportKwh)
    {
        int tariff = Tariff(utcMicros);
        var reg = _registers.AsSpan(meter * 4, 4);
        reg[tariff - 1] += consumptionKwh;
        reg[1 + tariff] += exportKwh;
        return reg;
    }

    /// <summary>A meter swap: the new meter's registers start from zero.</summary>
    public void Reset(int meter) => _registers.AsSpan(meter * 4, 4).Clear();

    /// <summary>Writes the last frame again, byte for byte (a duplicate delivery).</summary>
    public void RepeatLast() => Append(_frame.AsSpan(0, _lastLength));

    private void Append(ReadOnlySpan<byte> frame)
    {
        if (_pos + frame.Length > _buffer.Length) Flush();
        Position = _flushed + _pos;
        _lastStart = _pos;
        _lastLength = frame.Length;
        frame.CopyTo(_buffer.AsSpan(_pos));
        _pos += frame.Length;
    }

    private int P1(ReadOnlySpan<byte> meterId, long utcMicros, ReadOnlySpan<double> reg, int tariff, double importKw, double exportKw,
        double voltage, double current)
    {
        var f = _frame.AsSpan();
        int at = 0;
        void Put(ReadOnlySpan<byte> s, Span<byte> f) { s.CopyTo(f[at..]); at += s.Length; }
        void Fixed(double value, int decimals, int width, ReadOnlySpan<byte> unit, Span<byte> f)
        {
            long scaled = (long)Math.Round(Math.Max(0, value) * Math.Pow(10, decimals), MidpointRounding.AwayFromZero);
            long whole = scaled / (long)Math.Pow(10, decimals), frac = scaled % (long)Math.Pow(10, decimals);
            Utf8Formatter.TryFormat(whole, f[at..], out int n, new System.Buffers.StandardFormat('D', (byte)(width - decimals - (decimals > 0 ? 1 : 0))));
            at += n;
            if (decimals > 0)
            {
                f[at++] = (byte)'.';
                Utf8Formatter.TryFormat(frac, f[at..], out n, new System.Buffers.StandardFormat('D', (byte)decimals));
                at += n;
            }
            if (!unit.IsEmpty) { f[at++] = (byte)'*'; Put(unit, f); }
            Put(")\r\n"u8, f);
        }
        Put("/ISK5\\2M550T-1012\r\n\r\n1-3:0.2.8(50)\r\n0-0:1.0.0("u8, f);
        P1Values.FormatTimestamp(utcMicros, f[at..]);
        at += 13;
        Put(")\r\n0-0:96.1.1("u8, f);
        foreach (byte b in meterId)
        {
            f[at++] = (byte)"0123456789ABCDEF"[b >> 4];
            f[at++] = (byte)"0123456789ABCDEF"[b & 15];
        }
        Put(")\r\n1-0:1.8.1("u8, f); Fixed(reg[0], 3, 10, "kWh"u8, f);
        Put("1-0:1.8.2("u8, f); Fixed(reg[1], 3, 10, "kWh"u8, f);
        Put("1-0:2.8.1("u8, f); Fixed(reg[2], 3, 10, "kWh"u8, f);
        Put("1-0:2.8.2("u8, f); Fixed(reg[3], 3, 10, "kWh"u8, f);
        Put(tariff == 1 ? "0-0:96.14.0(0001)\r\n"u8 : "0-0:96.14.0(0002)\r\n"u8, f);
        Put("1-0:1.7.0("u8, f); Fixed(importKw, 3, 6, "kW"u8, f);
        Put("1-0:2.7.0("u8, f); Fixed(exportKw, 3, 6, "kW"u8, f);
        Put("1-0:32.7.0("u8, f); Fixed(voltage, 1, 5, "V"u8, f);
        Put("1-0:31.7.0("u8, f); Fixed(current, 0, 3, "A"u8, f);
        f[at++] = (byte)'!';
        ushort crc = Crc16.Arc(f[..at]);
        Utf8Formatter.TryFormat(crc, f[at..], out int w, new System.Buffers.StandardFormat('X', 4));
        at += w;
        Put("\r\n"u8, f);
        return at;
    }

    private int Sml(ReadOnlySpan<byte> meterId, long utcMicros, ReadOnlySpan<double> reg, double netKw, double voltage, double current, double frequency)
    {
        var b = new SmlEncoder(_frame);
        b.Raw(SmlFramer.Start);
        int m = b.BeginMessage(0x0101);
        b.List(6); b.Absent(); b.Absent(); b.Octets([1, 2, 3]); b.Octets(meterId); b.Absent(); b.Absent();
        b.EndMessage(m);
        m = b.BeginMessage(0x0701);
        b.List(7); b.Absent(); b.Octets(meterId); b.Absent();
        b.List(2); b.Unsigned(2, 1); b.Unsigned((ulong)(utcMicros / 1_000_000), 4); // Unix time
        b.List(7);
        Entry(ref b, [1, 0, 1, 8, 0, 255], 30, -1, (long)Math.Round((reg[0] + reg[1]) * 10_000), 8);
        Entry(ref b, [1, 0, 2, 8, 0, 255], 30, -1, (long)Math.Round((reg[2] + reg[3]) * 10_000), 8);
        Entry(ref b, [1, 0, 1, 8, 1, 255], 30, -1, (long)Math.Round(reg[0] * 10_000), 8);
        Entry(ref b, [1, 0, 1, 8, 2, 255], 30, -1, (long)Math.Round(reg[1] * 10_000), 8);
        Entry(ref b, [1, 0, 16, 7, 0, 255], 27, 0, (long)Math.Round(netKw * 1000), 4);
        Entry(ref b, [1, 0, 32, 7, 0, 255], 35, -1, (long)Math.Round(voltage * 10), 2);
        Entry(ref b, [1, 0, 14, 7, 0, 255], 44, -2, (long)Math.Round(frequency * 100), 2);
        b.Absent(); b.Absent();
        b.EndMessage(m);
        m = b.BeginMessage(0x0201);
        b.List(1); b.Absent();
        b.EndMessage(m);
        return b.Finish();
    }

    private static void Entry(ref SmlEncoder b, ReadOnlySpan<byte> obis, int unit, int scaler, long value, int width)
    {
        b.List(7); b.Octets(obis); b.Absent(); b.Absent(); b.Unsigned((ulong)unit, 1); b.Integer(scaler, 1); b.Integer(value, width); b.Absent();
    }

    private void Flush()
    {
        _file.Write(_buffer, 0, _pos);
        _flushed += _pos;
        _pos = 0;
    }

    public void Dispose()
    {
        Flush();
        _file.Dispose();
    }

    /// <summary>Writes SML TL fields into a frame buffer; messages get their X-25 CRCs, the frame its padding and end.</summary>
    private ref struct SmlEncoder(Span<byte> buffer)
    {
        private readonly Span<byte> _b = buffer;
        private int _at;

        public void Raw(scoped ReadOnlySpan<byte> bytes) { bytes.CopyTo(_b[_at..]); _at += bytes.Length; }
        public void List(int n) => _b[_at++] = (byte)(0x70 | n);
        public void Absent() => _b[_at++] = 0x01;
        public void Octets(scoped ReadOnlySpan<byte> v) { _b[_at++] = (byte)(v.Length + 1); Raw(v); }

        public void Unsigned(ulong v, int width)
        {
            _b[_at++] = (byte)(0x60 | (width + 1));
            for (int i = width - 1; i >= 0; i--) _b[_at++] = (byte)(v >> (8 * i));
        }

        public void Integer(long v, int width)
        {
            _b[_at++] = (byte)(0x50 | (width + 1));
            for (int i = width - 1; i >= 0; i--) _b[_at++] = (byte)(v >> (8 * i));
        }

        public int BeginMessage(int tag)
        {
            int start = _at;
            List(6); Octets([0x01]); Unsigned(0, 1); Unsigned(0, 1); List(2); Unsigned((ulong)tag, 2);
            return start;
        }

        public void EndMessage(int start)
        {
            ushort crc = Crc16.X25(_b[start.._at]);
            _b[_at++] = 0x63;
            _b[_at++] = (byte)crc; // low byte first
            _b[_at++] = (byte)(crc >> 8);
            _b[_at++] = 0x00;
        }

        public int Finish()
        {
            // The transport escapes a 1B1B1B1B payload block by sending it twice.
            for (int i = 8; i + 4 <= _at; i += 4)
            {
                if (BinaryPrimitives.ReadUInt32LittleEndian(_b[i..]) != 0x1B1B1B1B) continue;
                _b[(i + 4).._at].CopyTo(_b[(i + 8)..]);
                _b.Slice(i, 4).CopyTo(_b[(i + 4)..]);
                _at += 4;
                i += 4;
            }
            int padding = (4 - _at % 4) % 4;
            for (int i = 0; i < padding; i++) _b[_at++] = 0;
            Raw([0x1B, 0x1B, 0x1B, 0x1B, 0x1A, (byte)padding]);
            ushort crc = Crc16.X25(_b[.._at]);
            BinaryPrimitives.WriteUInt16LittleEndian(_b[_at..], crc);
            return _at + 2;
        }
    }
}
