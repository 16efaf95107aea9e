namespace Metrify.Engine.Frames.Meter;

/// <summary>
/// Finds P1 telegrams in a byte stream. A telegram starts at a '/' at the start of a line (or after a NUL) and ends at a '!' at the
/// start of a line, 0 to 4 hex digits and CRLF. A '/' at a line start before the end means the telegram was cut
/// off: the part is broken and the new telegram starts there. Bytes outside telegrams (garbage, blank lines, NUL
/// padding after the CRLF) are skipped. The scans are vectorised IndexOf/IndexOfAny over the bytes.
/// </summary>
public static class P1Framer
{
    public static FrameScan Scan(ReadOnlySpan<byte> data, bool isFinal, int maxFrameBytes)
    {
        if (data.IsEmpty) return FrameScan.NeedMore;
        if (data[0] != '/')
        {
            // A telegram starts at a '/' after a line end, or after the NUL some gateways send after the CRLF.
            for (int at = 1; at < data.Length;)
            {
                int k = data[at..].IndexOf((byte)'/');
                if (k < 0) break;
                k += at;
                if (data[k - 1] is (byte)'\n' or 0 || IsHeaderAt(data, k)) return new FrameScan(FrameScanKind.Skip, k);
                at = k + 1;
            }
            // Keep a trailing line end or NUL: the '/' after it may be the next read's first byte.
            int skip = isFinal || data[^1] is not ((byte)'\n' or 0) ? data.Length : data.Length - 1;
            return skip > 0 ? new FrameScan(FrameScanKind.Skip, skip) : FrameScan.NeedMore;
        }

        int limit = Math.Min(data.Length, maxFrameBytes);
        int from = 1;
        while (from < limit)
        {
            int k = data[from..limit].IndexOfAny((byte)'!', (byte)'/');
            if (k < 0) break;
            k += from;
            from = k + 1;
            if (data[k] == '/')
            {
                if (data[k - 1] == '\n' || IsHeaderAt(data, k)) return new FrameScan(FrameScanKind.Broken, k, 0, QuarantineReason.TruncatedFrame);
                continue;
            }
            if (data[k - 1] != '\n') continue;
            if (EndAt(data, k, isFinal, maxFrameBytes) is { } end) return end;
            // Anything else after '!' is not an end marker (a damaged line): keep looking.
        }
        if (data.Length >= maxFrameBytes)
            return new FrameScan(FrameScanKind.Broken, maxFrameBytes, 0, QuarantineReason.Oversized);
        return isFinal ? new FrameScan(FrameScanKind.Broken, data.Length, 0, QuarantineReason.TruncatedFrame) : FrameScan.NeedMore;
    }

    /// <summary>
    /// The telegram's end at the '!' at line start <paramref name="bang"/>: 0 to 4 hex digits, then CRLF (or LF, the
    /// input's end, or the next header); null when what follows is not an end marker. With no '/' or '!' at a line
    /// start between the header and <paramref name="bang"/>, this is what <see cref="Scan"/> finds.
    /// </summary>
    internal static FrameScan? EndAt(ReadOnlySpan<byte> data, int bang, bool isFinal, int maxFrameBytes)
    {
        int p = bang + 1, digits = 0;
        while (p < data.Length && digits < 4 && P1Values.HexValue(data[p]) >= 0) { p++; digits++; }
        if (p < data.Length && data[p] == '\r') p++;
        if (p < data.Length && data[p] == '\n') return new FrameScan(FrameScanKind.Frame, p + 1, bang);
        if (p >= data.Length)
        {
            if (!isFinal && data.Length < maxFrameBytes + 8) return FrameScan.NeedMore;
            return new FrameScan(FrameScanKind.Frame, p, bang); // the input ends after the CRC
        }
        if (data[p] == '/') return new FrameScan(FrameScanKind.Frame, p, bang); // next header glued after the CRC
        return null;
    }

    /// <summary>
    /// A '/' in the middle of a line starts a telegram only when a whole header follows: "/XXXd" (manufacturer id and
    /// baud digit), a line without parentheses, then the empty line. That finds a telegram glued to a cut-off one
    /// (a serial glitch) without restarting on a '/' inside a value.
    /// </summary>
    private static bool IsHeaderAt(ReadOnlySpan<byte> data, int k)
    {
        if (k + 5 > data.Length || !char.IsAsciiLetter((char)data[k + 1]) || !char.IsAsciiLetter((char)data[k + 2])
            || !char.IsAsciiLetter((char)data[k + 3]) || !char.IsAsciiDigit((char)data[k + 4]))
            return false;
        var rest = data[(k + 5)..Math.Min(data.Length, k + 100)];
        int nl = rest.IndexOf((byte)'\n');
        if (nl < 0 || rest[..nl].IndexOfAny((byte)'(', (byte)')') >= 0) return false;
        var after = rest[(nl + 1)..];
        return after.StartsWith("\r\n"u8) || after.StartsWith("\n"u8);
    }
}
