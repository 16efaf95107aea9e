namespace Metrify.Engine.Pipeline;

/// <summary>
/// Reads a hex dump (pairs of hex digits, whitespace anywhere, e.g. <c>xxd -p</c> output) as the bytes it spells.
/// Meter captures are often stored this way. Characters that are neither hex nor whitespace are dropped.
/// </summary>
public sealed class HexTextStream(Stream text) : Stream
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _pendingNibble = -1;

    public override int Read(Span<byte> destination)
    {
        int written = 0;
        while (written == 0)
        {
            int want = Math.Min(_buffer.Length, destination.Length * 2 + 2);
            int n = text.Read(_buffer, 0, want);
            if (n == 0) return 0;
            foreach (byte c in _buffer.AsSpan(0, n))
            {
                int v = Frames.Meter.P1Values.HexValue(c);
                if (v < 0) continue;
                if (_pendingNibble < 0) { _pendingNibble = v; continue; }
                destination[written++] = (byte)(_pendingNibble << 4 | v);
                _pendingNibble = -1;
            }
        }
        return written;
    }

    /// <summary>Decodes the start of a hex dump into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Decode(ReadOnlySpan<byte> hex, Span<byte> destination)
    {
        int written = 0, pending = -1;
        foreach (byte c in hex)
        {
            if (written == destination.Length) break;
            int v = Frames.Meter.P1Values.HexValue(c);
            if (v < 0) continue;
            if (pending < 0) { pending = v; continue; }
            destination[written++] = (byte)(pending << 4 | v);
            pending = -1;
        }
        return written;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) text.Dispose();
        base.Dispose(disposing);
    }
}
