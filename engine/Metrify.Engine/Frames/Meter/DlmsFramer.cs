namespace Metrify.Engine.Frames.Meter;

/// <summary>
/// Finds DLMS general-glo-ciphering APDUs, the envelope Luxembourg Smarty meters send P1 in:
/// <c>DB 08 &lt;system title: 8&gt; &lt;length: 1 byte, or 81 LL, or 82 LL LL&gt; 30 &lt;invocation counter: 4&gt; &lt;ciphertext&gt; &lt;tag: 12&gt;</c>.
/// </summary>
public static class DlmsFramer
{
    public const byte GeneralGloCiphering = 0xDB;

    public static FrameScan Scan(ReadOnlySpan<byte> data, bool isFinal, int maxFrameBytes)
    {
        if (data.Length < 13)
            return isFinal && data.Length > 0 ? new FrameScan(FrameScanKind.Skip, data.Length) : FrameScan.NeedMore;
        if (data[0] != GeneralGloCiphering || data[1] != 8)
        {
            int next = data[1..].IndexOf([GeneralGloCiphering, (byte)8]);
            if (next >= 0) return new FrameScan(FrameScanKind.Skip, next + 1);
            return new FrameScan(FrameScanKind.Skip, isFinal ? data.Length : data.Length - 1);
        }
        int header, length;
        byte l = data[10];
        if (l < 0x80) { header = 11; length = l; }
        else if (l == 0x81) { header = 12; length = data[11]; }
        else if (l == 0x82) { header = 13; length = data[11] << 8 | data[12]; }
        else return new FrameScan(FrameScanKind.Broken, 11, 0, QuarantineReason.MalformedFrame);
        int total = header + length;
        if (length < 17) return new FrameScan(FrameScanKind.Broken, header, 0, QuarantineReason.MalformedFrame);
        if (total > maxFrameBytes) return new FrameScan(FrameScanKind.Broken, Math.Min(total, data.Length), 0, QuarantineReason.Oversized);
        if (data.Length < total)
            return isFinal ? new FrameScan(FrameScanKind.Broken, data.Length, 0, QuarantineReason.TruncatedFrame) : FrameScan.NeedMore;
        return new FrameScan(FrameScanKind.Frame, total, header);
    }
}
