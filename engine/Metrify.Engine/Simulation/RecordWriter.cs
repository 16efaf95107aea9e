using System.Runtime.CompilerServices;
using System.Text;
using Metrify.Engine.Frames.Text;

namespace Metrify.Engine.Simulation;

/// <summary>
/// Writes simulated records as CSV or JSON lines into a reused buffer, numbers formatted from scaled integers
/// (no floating-point formatting, no strings), so millions of rows a second come out.
/// </summary>
internal sealed class RecordWriter : IFaultPosition, IDisposable
{
    private const int MaxRowBytes = 1024;
    private readonly FileStream _file;
    private readonly byte[] _buffer = new byte[1 << 20];
    private readonly byte[][] _names;
    private readonly bool _json;
    private int _pos;
    private int _field;
    private int _rowStart;

    public RecordWriter(string path, SimulationFormat format, IReadOnlyList<string> columns)
    {
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1);
        _json = format == SimulationFormat.JsonLines;
        _names = columns.Select(c => Encoding.UTF8.GetBytes($"\"{c}\":")).ToArray();
        Path = path;
        if (!_json)
        {
            var header = Encoding.UTF8.GetBytes(string.Join(',', columns) + "\n");
            header.CopyTo(_buffer, 0);
            _pos = header.Length;
            Line = 1;
        }
    }

    public string Path { get; }
    /// <summary>Lines written so far (the header counts as line 1 in CSV).</summary>
    public long Line { get; private set; }
    public long Rows { get; private set; }
    long IFaultPosition.Position => Line;

    public void BeginRow()
    {
        if (_pos > _buffer.Length - 2 * MaxRowBytes) Flush();
        _rowStart = _pos;
        _field = 0;
        if (_json) _buffer[_pos++] = (byte)'{';
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void NextField()
    {
        if (_field > 0) _buffer[_pos++] = (byte)',';
        if (_json)
        {
            var name = _names[_field];
            name.CopyTo(_buffer, _pos);
            _pos += name.Length;
        }
        _field++;
    }

    public void Text(ReadOnlySpan<byte> value)
    {
        NextField();
        if (_json) _buffer[_pos++] = (byte)'"';
        value.CopyTo(_buffer.AsSpan(_pos));
        _pos += value.Length;
        if (_json) _buffer[_pos++] = (byte)'"';
    }

    public void Timestamp(long micros)
    {
        NextField();
        if (_json) _buffer[_pos++] = (byte)'"';
        _pos += Utf8Timestamp.Format(micros, _buffer.AsSpan(_pos));
        if (_json) _buffer[_pos++] = (byte)'"';
    }

    /// <summary>Writes <paramref name="scaled"/> / 10^<paramref name="decimals"/> with exactly that many decimals.</summary>
    public void Fixed(long scaled, int decimals)
    {
        NextField();
        _pos += FormatFixed(scaled, decimals, _buffer.AsSpan(_pos));
    }

    public void Null()
    {
        NextField();
        if (_json) { "null"u8.CopyTo(_buffer.AsSpan(_pos)); _pos += 4; }
    }

    public void EndRow(bool truncated = false)
    {
        if (_json && !truncated) _buffer[_pos++] = (byte)'}';
        _buffer[_pos++] = (byte)'\n';
        Line++;
        Rows++;
    }

    /// <summary>Writes the row just ended once more, byte for byte.</summary>
    public void RepeatLastRow()
    {
        int len = _pos - _rowStart;
        _buffer.AsSpan(_rowStart, len).CopyTo(_buffer.AsSpan(_pos));
        _rowStart = _pos;
        _pos += len;
        Line++;
        Rows++;
    }

    public void RawLine(ReadOnlySpan<byte> line)
    {
        if (_pos > _buffer.Length - 2 * MaxRowBytes) Flush();
        line.CopyTo(_buffer.AsSpan(_pos));
        _pos += line.Length;
        _buffer[_pos++] = (byte)'\n';
        Line++;
        Rows++;
    }

    internal static int FormatFixed(long scaled, int decimals, Span<byte> dest)
    {
        int p = 0;
        if (scaled < 0) { dest[p++] = (byte)'-'; scaled = -scaled; }
        Span<byte> digits = stackalloc byte[20];
        int n = 0;
        do { digits[n++] = (byte)('0' + scaled % 10); scaled /= 10; } while (scaled > 0 || n <= decimals);
        for (int i = n - 1; i >= 0; i--)
        {
            dest[p++] = digits[i];
            if (i == decimals && decimals > 0) dest[p++] = (byte)'.';
        }
        return p;
    }

    private void Flush()
    {
        _file.Write(_buffer, 0, _pos);
        _pos = 0;
        _rowStart = 0;
    }

    public void Dispose()
    {
        Flush();
        _file.Dispose();
    }
}
