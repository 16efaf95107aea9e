namespace Metrify.Engine.Pipeline;

/// <summary>
/// Reads a hex dump (pairs of hex digits, whitespace anywhere, e.g. <c>xxd -p</c> output) as the bytes it spells.
/// Meter captures are often stored this way. Characters that are neither hex nor whitespace are dropped.
/// </summary>
public sealed class HexTextStream(Stream text) : ReadOnlyWrapperStream(text)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _pendingNibble = -1;

    public override int Read(Span<byte> destination)
    {
        int written = 0;
        while (written == 0 && destination.Length > 0)
        {
            // Two hex digits per byte, so this many characters can never overflow the destination.
            int n = Inner.Read(_buffer, 0, Math.Min(_buffer.Length, destination.Length * 2));
            if (n == 0) return 0;
            written = Decode(_buffer.AsSpan(0, n), destination, ref _pendingNibble);
        }
        return written;
    }

    /// <summary>Decodes the start of a hex dump into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Decode(ReadOnlySpan<byte> hex, Span<byte> destination)
    {
        int pending = -1;
        return Decode(hex, destination, ref pending);
    }

    /// <summary>Hex digits to bytes, skipping anything else; a digit left over waits in <paramref name="pendingNibble"/>.</summary>
    private static int Decode(ReadOnlySpan<byte> hex, Span<byte> destination, ref int pendingNibble)
    {
        int written = 0;
        foreach (byte c in hex)
        {
            if (written == destination.Length) break;
            int v = Frames.Meter.P1Values.HexValue(c);
            if (v < 0) continue;
            if (pendingNibble < 0) { pendingNibble = v; continue; }
            destination[written++] = (byte)(pendingNibble << 4 | v);
            pendingNibble = -1;
        }
        return written;
    }
}
