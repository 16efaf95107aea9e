using System.Buffers.Binary;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Frames.Meter;

/// <summary>
/// Decodes one SML transport frame: checks the transport CRC-16/X-25 (low byte first), removes escapes and padding,
/// walks the SML messages checking each message's own CRC, and lands every list entry of the GetList responses:
/// known quantities in readings (value × 10^scaler, Wh→kWh, W→kW), everything else in registers. CRC-16/KERMIT is
/// accepted only for meters listed in <see cref="MeterFrameOptions.KermitMeters"/>. Allocation-free in steady state.
/// </summary>
public sealed partial class SmlFrameDecoder(MeterFrameOptions options)
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
        // Where the value and status numbers are in the payload (fast-path entries), for a frame read from the template.
        public int ValueAt, StatusAt;
        public byte ValueLength, StatusLength;
        public bool ValueSigned, StatusSigned;
        // What Emit works out once per entry (see Prepare): it holds while the frame matches the template.
        public bool Prepared, Reading;
        public MeterUnit NormalUnit;
        public int Column, ScaleExponent, NameAt, NameLength, TextAt, TextLength;
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
    /// <param name="matched">The frame was framed by <see cref="FrameFromTemplate"/>: its payload matches the template.</param>
    public void Decode(ReadOnlySpan<byte> frame, int endEscape, long sourceOffset, MeterFrameOutput output, bool escaped = true, bool matched = false)
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
        if (!kermit && TryDecodeFromTemplate(payload, sourceOffset, sourceOffset + frame.Length, output, matched && padding == _templatePadding)) return;
        BeginRecording();

        var meterId = _meterId.AsSpan();
        int meterIdLength = 0;
        long sensorTime = MeterFrameOutput.NoTime, sensorSeconds = -1;
        int listSignatureStart = 0, listSignatureLength = 0;
        _count = 0;
        _entryTextsLength = 0;
        var r = new SmlReader(payload);
        string? failure = null;
        while (!r.AtEnd && failure is null)
        {
            if (r.Peek() == 0x00) { r.Position++; continue; } // stray end-of-message / fill bytes between messages
            int messageStart = r.Position;
            if (!r.ReadList(6)) { failure = "a message is not a list of 6"; break; }
            int idAt = r.Position;
            r.ReadOctets(); // transaction id
            FreeNumbers(payload, idAt, r.Position, octetsToo: true);
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
            _messages.Add((messageStart, crcAt));
            FreeNumbers(payload, crcAt, r.Position);
            var covered = payload[messageStart..crcAt];
            if (Crc16.X25(covered) != BinaryPrimitives.ReverseEndianness(messageCrc))
            {
                if (_kermitMeters.Count > 0 && Crc16.Kermit(covered) == messageCrc) { kermit = true; _templatable = false; }
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
        if (!kermit)
            RememberTemplate(payload, meterIdLength, sensorTime, sensorSeconds, listSignatureStart, listSignatureLength,
                !escaped && frame[8..endEscape].IndexOf(SmlFramer.Escape) < 0 ? padding : -1);
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
}
