using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Frames.Meter;

/// <summary>
/// Decodes one DSMR P1 / IEC 62056-21 telegram (from its '/' through the line after '!') into rows: checks the
/// CRC-16/ARC when the telegram carries one (1 to 4 hex digits), splits it into OBIS objects and their value groups,
/// then lands every value: known quantities in readings, M-Bus channels in gas, the rest in registers.
/// Allocation-free: values are offsets into the telegram held in a reused array.
/// </summary>
[SkipLocalsInit]
public sealed partial class P1TelegramDecoder
{
    private struct Value
    {
        public Obis Obis;
        public int Index, Start, Length;
        public int Star; // index of '*' in the value (unit follows), or -1
        public int ObisStart, ObisLength; // the id as sent, when it is canonical (else ObisLength is 0)
        public ObisClass Class;
        public bool Unparsed;
        // The layout of a plain number (see Layout): valid while the telegram matches the one it was taken from.
        public bool Number, Negative;
        // What its fixed bytes rule out (see ClassifyText): NeverNumber, never a number; PlainText, never a number, a
        // timestamp or hex text either, so it is kept as sent.
        public bool PlainText, NeverNumber;
        public byte IntDigits, FracDigits, Exponent;
        public MeterUnit Unit;
        public int IntEnd;
    }

    private enum Role : byte { Register, HexRegister, Reading, Tariff, Identity, Clock, Channel }

    /// <summary>What an OBIS id is for, decided once per id (and cached with it).</summary>
    private readonly record struct ObisClass(Role Role, sbyte Column = -1, MeterUnit Unit = MeterUnit.None, byte Rank = 0);

    private static ObisClass Classify(Obis o)
    {
        if (o.B is >= 1 and <= MaxChannels && o.A == 0) return new ObisClass(Role.Channel);
        if (o.B != 0) return new ObisClass(Role.Register);
        // DSMR equipment id, then Smarty's logical device name, then the IEC 62056-21 serial numbers.
        if (o == EquipmentIdObis) return new ObisClass(Role.Identity, Rank: 0);
        if (o == LogicalNameObis) return new ObisClass(Role.Identity, Rank: 1);
        if (o == MeterIdAltObis) return new ObisClass(Role.Identity, Rank: 2);
        if (o == SerialObis || o == IecIdObis) return new ObisClass(Role.Identity, Rank: 3);
        if (o == TimestampObis) return new ObisClass(Role.Clock);
        if (o == TariffObis) return new ObisClass(Role.Tariff);
        if (o.A == 1 && ReadingQuantities.Column(o.Cde, out var unit) is var column and not -1) return new ObisClass(Role.Reading, (sbyte)column, unit);
        bool hex = o.A == 0 && (o.Cde is 0x600101 or 0x600100 or 0x2A0000 || (o.C == 96 && o.D == 13 && o.E != 1));
        return new ObisClass(hex ? Role.HexRegister : Role.Register);
    }

    /// <summary>What an M-Bus channel reported in one telegram.</summary>
    private struct Channel
    {
        public bool Seen, HasValue;
        public int Type, IdStart, IdLength, UnitStart, UnitLength;
        public Obis ValueObis;
        public long Capture;
        public double Value;
        public QualityFlags Flags;
    }

    private const int MaxChannels = 8;
    private static readonly Obis TimestampObis = Obis.Of(0, 0, 1, 0, 0), EquipmentIdObis = Obis.Of(0, 0, 96, 1, 1),
        LogicalNameObis = Obis.Of(0, 0, 42, 0, 0), MeterIdAltObis = Obis.Of(0, 0, 96, 1, 0), TariffObis = Obis.Of(0, 0, 96, 14, 0),
        SerialObis = Obis.Of(0, 0, 96, 1, 255), IecIdObis = Obis.Of(1, 0, 0, 0, 0);

    private Value[] _values = new Value[128];
    private int _count;
    private readonly Channel[] _channels = new Channel[MaxChannels + 1];
    private readonly byte[] _text = new byte[2048];
    private readonly ObisTextCache _obisText = new();
    private P1Values.DayCache _days;
    private P1Values.DayCache _logDays; // the timestamps of registers (the power failure log): another day than the clock's

    /// <summary>Decodes a telegram. <paramref name="bang"/> is the index of its closing '!'.</summary>
    /// <param name="sourceLength">Bytes the telegram took in the source, when it was decrypted from an envelope.</param>
    /// <param name="skipCrc">The telegram was authenticated otherwise (AES-GCM); its CRC is not checked.</param>
    /// <param name="matched">The telegram was framed by <see cref="FrameFromTemplate"/>: it matches the template.</param>
    public void Decode(ReadOnlySpan<byte> telegram, int bang, long sourceOffset, long lineNumber, MeterFrameOutput output,
        int sourceLength = -1, bool skipCrc = false, bool matched = false)
    {
        long end = sourceOffset + (sourceLength < 0 ? telegram.Length : sourceLength);
        var flags = QualityFlags.None;
        int digits = 0;
        uint sent = 0;
        while (bang + 1 + digits < telegram.Length && digits < 4 && P1Values.HexValue(telegram[bang + 1 + digits]) is var h and >= 0)
        {
            sent = (sent << 4) | (uint)h;
            digits++;
        }
        if (skipCrc) { }
        else if (digits == 0) flags |= QualityFlags.Unverified; // DSMR 2.2/3.0 and IEC mode D carry no checksum
        else
        {
            ushort crc = Crc16.Arc(telegram[..(bang + 1)]);
            if (crc != sent)
            {
                output.Reject(sourceOffset, telegram, QuarantineReason.BadChecksum,
                    $"CRC-16/ARC of the telegram is {crc:X4}, the telegram says {System.Text.Encoding.ASCII.GetString(telegram.Slice(bang + 1, digits))}", lineNumber);
                return;
            }
        }

        int headerEnd;
        if (matched || MatchesTemplate(telegram, bang)) headerEnd = _templateHeaderEnd;
        else
        {
            headerEnd = telegram.IndexOf((byte)'\n');
            if (headerEnd < 0 || headerEnd > bang) headerEnd = bang;
            Split(telegram, headerEnd + 1, bang);
            RememberTemplate(telegram, bang, headerEnd);
        }
        var header = TrimCr(telegram[1..headerEnd]);
        if (digits == 0 && !skipCrc && CheckUnverified(telegram, header, bang) is { } problem)
        {
            output.Reject(sourceOffset, telegram, problem.Reason, problem.Detail, lineNumber);
            return;
        }
        Emit(telegram, header, flags, sourceOffset, end, output);
    }

    private static readonly Obis VersionObis = Obis.Of(1, 3, 0, 2, 8);

    /// <summary>
    /// A telegram without a CRC (DSMR 2.2/3.0, IEC mode D) has nothing protecting it, so it must at least be well
    /// formed: a header "/XXX" with a 3-letter manufacturer id, only printable ASCII, every line an OBIS object. And
    /// a telegram that declares DSMR 4 or later must carry its CRC: without one it is damaged, not old.
    /// </summary>
    private (QuarantineReason Reason, string Detail)? CheckUnverified(ReadOnlySpan<byte> t, ReadOnlySpan<byte> header, int bang)
    {
        if (header.Length < 4 || !char.IsAsciiLetter((char)header[0]) || !char.IsAsciiLetter((char)header[1]) || !char.IsAsciiLetter((char)header[2]))
            return (QuarantineReason.MalformedFrame, "telegram without CRC has no '/XXX' identification header");
        if (!IsPrintableLines(t[..bang]))
            return (QuarantineReason.MalformedFrame, "telegram without CRC contains bytes that are not printable ASCII");
        for (int i = 0; i < _count; i++)
        {
            if (_values[i].Unparsed) return (QuarantineReason.MalformedFrame, "telegram without CRC has a line that is not an OBIS object");
            if (_values[i].Obis == VersionObis && P1Values.TryParseDecimal(t.Slice(_values[i].Start, _values[i].Length), out long v, out _) && v >= 40)
                return (QuarantineReason.BadChecksum, $"telegram declares DSMR version {v} but carries no CRC");
        }
        return null;
    }

    private static bool IsPrintableLines(ReadOnlySpan<byte> s)
    {
        while (true)
        {
            int i = s.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E);
            if (i < 0) return true;
            if (s[i] != '\r' && s[i] != '\n') return false;
            s = s[(i + 1)..];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) => line.Length > 0 && line[^1] == '\r' ? line[..^1] : line;

    private void Emit(ReadOnlySpan<byte> t, ReadOnlySpan<byte> header, QualityFlags flags, long start, long end, MeterFrameOutput output)
    {
        // Identity and clock first: every row of the frame carries them.
        Span<byte> id = stackalloc byte[64];
        int idLength = -1, idRank = 4;
        long time = MeterFrameOutput.NoTime;
        bool clockSeen = false, clockSentinel = false;
        for (int k = 0; k < _headCount; k++)
        {
            ref var v = ref _values[_heads[k]];
            int rank = v.Class.Role == Role.Identity ? v.Class.Rank : 4;
            if (rank < idRank && v.Length > 0)
            {
                var raw = t.Slice(v.Start, v.Length);
                int n = P1Values.TryDecodeHexText(raw, id);
                if (n < 0 && raw.Length <= id.Length) { raw.CopyTo(id); n = raw.Length; }
                if (n > 0) { idLength = n; idRank = rank; }
            }
            else if (v.Class.Role == Role.Clock && !clockSeen)
            {
                clockSeen = true;
                if (!_days.TryParse(t.Slice(v.Start, v.Length), out time, out clockSentinel) || clockSentinel)
                {
                    clockSentinel = true;
                    time = MeterFrameOutput.NoTime;
                }
            }
        }
        if (idLength < 0)
        {
            var h = header.Length > id.Length ? header[..id.Length] : header;
            h.CopyTo(id);
            idLength = h.Length;
        }
        if (!clockSeen) flags |= QualityFlags.NoMeterClock;
        else if (clockSentinel) flags |= QualityFlags.SentinelTimestamp;
        output.BeginFrame(id[..idLength], time, flags);
        output.AddRegister("header"u8, 0, false, 0, default, header, true, MeterFrameOutput.NoTime, false, 0, QualityFlags.None, start, end);

        for (int i = 0; i < _count; i++)
        {
            ref var v = ref _values[i];
            var text = t.Slice(v.Start, v.Length);
            if (v.Unparsed)
            {
                output.AddRegister("unparsed"u8, 0, false, 0, default, text, true, MeterFrameOutput.NoTime, false, 0, QualityFlags.None, start, end);
                continue;
            }
            var o = v.Obis;
            switch (v.Class.Role)
            {
                case Role.Reading when v.Index == 0:
                    if (TryNumber(v, text, t, out double value, out var unit) && unit == v.Class.Unit
                        && ReadingQuantities.Stage(output, v.Class.Column, value)) continue;
                    break;
                case Role.Identity when v.Index == 0 && v.Class.Rank == idRank:
                    continue;
                case Role.Clock when v.Index == 0 && !clockSentinel:
                    continue;
                case Role.Tariff when v.Index == 0:
                    if (P1Values.TryParseDecimal(text, out long tariff, out int dec) && dec == 0 && tariff is >= 0 and <= int.MaxValue)
                    {
                        output.StageTariff((int)tariff);
                        continue;
                    }
                    break;
                case Role.Channel:
                    if (TryChannel(ref _channels[o.B], o, v, text, t)) continue;
                    break;
            }
            var obis = v.ObisLength > 0 ? t.Slice(v.ObisStart, v.ObisLength) : _obisText.Get(o);
            EmitRegister(v.Class.Role == Role.HexRegister, obis, v, text, t, output, start, end);
        }

        for (int c = 1; c <= MaxChannels; c++)
        {
            ref var ch = ref _channels[c];
            if (!ch.Seen) continue;
            int n = ch.IdLength > 0 ? P1Values.TryDecodeHexText(t.Slice(ch.IdStart, ch.IdLength), _text) : -1;
            var deviceId = n >= 0 ? _text.AsSpan(0, n) : t.Slice(ch.IdStart, ch.IdLength);
            var valueObis = ch.ValueObis.Value == 0 ? default : _obisText.Get(ch.ValueObis);
            output.AddGas(c, ch.Type, deviceId, ch.IdLength > 0, valueObis, ch.Capture, ch.HasValue, ch.Value,
                t.Slice(ch.UnitStart, ch.UnitLength), ch.Flags, start, end);
            ch = default; // only a channel that was seen has anything to clear for the next telegram
        }
        output.EndFrame(start, end);
    }

    /// <summary>A value as a number with its unit: from its recorded layout when it has one, else parsed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryNumber(in Value v, ReadOnlySpan<byte> text, ReadOnlySpan<byte> t, out double value, out MeterUnit unit)
    {
        if (!v.Number) return TryNumber(text, v.Star, out value, out unit);
        value = FastNumber(v, t);
        unit = v.Unit;
        return true;
    }

    /// <summary>"012.345*kWh" → 12.345 and kWh; W, Wh, var and VA values are converted to their kilo unit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryNumber(ReadOnlySpan<byte> text, int star, out double value, out MeterUnit unit)
    {
        value = 0;
        var number = star < 0 ? text : text[..star];
        unit = star < 0 ? MeterUnit.None : MeterUnits.ParseText(text[(star + 1)..]);
        if (!P1Values.TryParseDecimal(number, out long mantissa, out int decimals)) return false;
        unit = MeterUnits.Normalise(unit, out int exponent);
        value = P1Values.Scale(mantissa, decimals + exponent);
        return true;
    }

    /// <summary>Collects an M-Bus channel's device type, id and reading; false for its other objects (valve, relay).</summary>
    private bool TryChannel(ref Channel ch, Obis o, in Value v, ReadOnlySpan<byte> text, ReadOnlySpan<byte> t)
    {
        switch (o.Cde)
        {
            case 0x180100: // 24.1.0 device type
                if (v.Index != 0) return false;
                ch.Seen = true;
                ch.Type = P1Values.TryParseDecimal(text, out long type, out int d) && d == 0 && type is >= 0 and < 1000 ? (int)type : -1;
                return true;
            case 0x600100 or 0x600101: // 96.1.0 (NL) or 96.1.1 (BE) equipment id
                if (v.Index != 0) return false;
                if (!ch.Seen) ch.Type = -1;
                ch.Seen = true;
                ch.IdStart = v.Start;
                ch.IdLength = v.Length;
                return true;
            case 0x180201 or 0x180203: // 24.2.1 / 24.2.3: (capture time)(value*unit)
                if (!ch.Seen) ch.Type = -1;
                ch.Seen = true;
                if (v.Index == 0) { ch.ValueObis = o; SetCapture(ref ch, text); return true; }
                if (v.Index == 1) return SetValue(ref ch, text, v.Start, t);
                return false;
            case 0x180300: // 24.3.0, DSMR 2.2/3.0: (time)(status)(period)(count)(ref)(unit) then (value) on the next line
                if (!ch.Seen) ch.Type = -1;
                ch.Seen = true;
                if (v.Index == 0) { ch.ValueObis = o; SetCapture(ref ch, text); return true; }
                if (v.Index == 5) { ch.UnitStart = v.Start; ch.UnitLength = v.Length; return true; }
                if (v.Index == 6) return SetValue(ref ch, text, v.Start, t);
                return v.Index is >= 1 and <= 4;
            default:
                return false;
        }
    }

    private void SetCapture(ref Channel ch, ReadOnlySpan<byte> text)
    {
        ch.Capture = MeterFrameOutput.NoTime;
        if (_days.TryParse(text, out long capture, out bool sentinel) && !sentinel) ch.Capture = capture;
        else ch.Flags |= QualityFlags.SentinelTimestamp;
    }

    private static bool SetValue(ref Channel ch, ReadOnlySpan<byte> text, int start, ReadOnlySpan<byte> t)
    {
        int star = text.IndexOf((byte)'*'); // gas lines are one per channel: not worth carrying the position
        var number = star < 0 ? text : text[..star];
        if (!P1Values.TryParseDecimal(number, out long mantissa, out int decimals)) return false;
        ch.HasValue = true;
        ch.Value = P1Values.Scale(mantissa, decimals);
        if (star >= 0) { ch.UnitStart = start + star + 1; ch.UnitLength = text.Length - star - 1; }
        return true;
    }

    /// <summary>A registers row: a number with its unit, a timestamp, a hex-decoded text, or the raw text.</summary>
    private void EmitRegister(bool hexText, ReadOnlySpan<byte> obis, in Value v, ReadOnlySpan<byte> text, ReadOnlySpan<byte> t, MeterFrameOutput output, long start, long end)
    {
        int index = v.Index;
        if (v.PlainText)
        {
            output.AddRegister(obis, index, false, 0, default, text, !text.IsEmpty, MeterFrameOutput.NoTime, false, 0, QualityFlags.None, start, end);
            return;
        }
        if (!hexText && !v.NeverNumber && TryNumber(v, text, t, out double value, out var unit))
        {
            var unitName = unit == MeterUnit.Unknown ? text[(v.Star + 1)..] : MeterUnits.Name(unit);
            output.AddRegister(obis, index, true, value, unitName, default, false, MeterFrameOutput.NoTime, false, 0, QualityFlags.None, start, end);
            return;
        }
        if (!hexText && _logDays.TryParse(text, out long time, out bool sentinel))
        {
            output.AddRegister(obis, index, false, 0, default, text, true, sentinel ? MeterFrameOutput.NoTime : time, false, 0,
                sentinel ? QualityFlags.SentinelTimestamp : QualityFlags.None, start, end);
            return;
        }
        int n = text.Length > 0 ? P1Values.TryDecodeHexText(text, _text) : -1;
        var shown = n >= 0 ? _text.AsSpan(0, n) : text;
        output.AddRegister(obis, index, false, 0, default, shown, !shown.IsEmpty, MeterFrameOutput.NoTime, false, 0, QualityFlags.None, start, end);
    }
}
