using System.Buffers.Binary;

namespace Metrify.Engine.Frames.Meter;

/// <summary>
/// Finds SML transport v1 frames: <c>1B1B1B1B 01010101</c>, the payload in 4-byte blocks (an escape sequence in the
/// payload is sent doubled), 0–3 padding bytes, then <c>1B1B1B1B 1A nn c1 c2</c>. Escapes are only recognised on
/// 4-byte boundaries of the frame, as the transport defines (and libsml reads). A new start escape before the end
/// means the frame was cut off.
/// </summary>
public static class SmlFramer
{
    public static ReadOnlySpan<byte> Start => [0x1B, 0x1B, 0x1B, 0x1B, 0x01, 0x01, 0x01, 0x01];
    public static ReadOnlySpan<byte> Escape => [0x1B, 0x1B, 0x1B, 0x1B];
    private const uint EscapeWord = 0x1B1B1B1B, VersionWord = 0x01010101;

    public static FrameScan Scan(ReadOnlySpan<byte> data, bool isFinal, int maxFrameBytes)
    {
        if (data.Length < 8)
            return isFinal && data.Length > 0 ? new FrameScan(FrameScanKind.Skip, data.Length) : FrameScan.NeedMore;
        if (!data.StartsWith(Start))
        {
            int next = data.IndexOf(Start);
            if (next >= 0) return new FrameScan(FrameScanKind.Skip, next);
            int skip = isFinal ? data.Length : data.Length - 7; // the start sequence may straddle this read
            return new FrameScan(FrameScanKind.Skip, skip);
        }

        int limit = Math.Min(data.Length, maxFrameBytes);
        int pos = 8;
        bool escaped = false;
        while (pos < limit)
        {
            int e = data[pos..limit].IndexOf(Escape);
            if (e < 0) break;
            e += pos;
            if ((e & 3) != 0)
            {
                // Payload escapes are aligned; an unaligned start sequence is the next frame after a cut-off one.
                if (data[e..].StartsWith(Start)) return new FrameScan(FrameScanKind.Broken, e, 0, QuarantineReason.TruncatedFrame);
                if (e + 8 > data.Length && !isFinal) { pos = e; break; }
                pos = e + 1;
                continue;
            }
            if (e + 8 > data.Length) { pos = e; break; }
            uint next = BinaryPrimitives.ReadUInt32BigEndian(data[(e + 4)..]);
            if (next == EscapeWord) { pos = e + 8; escaped = true; continue; } // an escaped 1B1B1B1B in the payload
            if ((next >> 24) == 0x1A) return new FrameScan(FrameScanKind.Frame, e + 8, e, Escaped: escaped);
            if (next == VersionWord) return new FrameScan(FrameScanKind.Broken, e, 0, QuarantineReason.TruncatedFrame);
            // An unknown escape. A frame cut off inside its end escape runs into the next frame's start sequence
            // ("1B1B" then "1B1B1B1B 01010101"): the broken part ends where that start begins, which is kept.
            int restart = data.Slice(e + 1, Math.Min(data.Length - e - 1, 14)).IndexOf(Start);
            if (restart >= 0) return new FrameScan(FrameScanKind.Broken, e + 1 + restart, 0, QuarantineReason.TruncatedFrame);
            if (e + 15 > data.Length && !isFinal) { pos = e; break; }
            return new FrameScan(FrameScanKind.Broken, e + 8, 0, QuarantineReason.MalformedFrame);
        }
        if (data.Length >= maxFrameBytes)
            return new FrameScan(FrameScanKind.Broken, maxFrameBytes, 0, QuarantineReason.Oversized);
        return isFinal ? new FrameScan(FrameScanKind.Broken, data.Length, 0, QuarantineReason.TruncatedFrame) : FrameScan.NeedMore;
    }
}
