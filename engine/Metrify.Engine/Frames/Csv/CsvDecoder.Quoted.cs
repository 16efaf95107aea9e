using Metrify.Engine.Columnar;

namespace Metrify.Engine.Frames.Csv;

public sealed partial class CsvDecoder
{
    private byte[] _unquoted = new byte[256];

    /// <summary>Whether a quote was ever seen: a quoted field can hold a line break, so segments split at line
    /// breaks are only valid when this stays false.</summary>
    public bool SawQuote { get; private set; }

    /// <summary>
    /// The slow path for a record holding a quote: fields may contain separators, doubled quotes and line breaks.
    /// Returns the bytes consumed, or 0 when the record is not complete in <paramref name="data"/> yet.
    /// </summary>
    private int DecodeQuoted(ReadOnlySpan<byte> data, long offset, bool isFinalBlock)
    {
        SawQuote = true;
        int fields = _fieldToColumn.Length;
        long timestamp = 0;
        int field = 0, pos = 0, newlines = 0;
        bool failed = false;
        QuarantineReason reason = default;
        string? detail = null;
        while (true)
        {
            ReadOnlySpan<byte> text;
            int next; // index just past the field's terminator (separator or line end), or data.Length
            bool endOfRecord;
            if (pos < data.Length && data[pos] == (byte)'"')
            {
                int used = 0, i = pos + 1;
                bool closed = false;
                while (i < data.Length)
                {
                    byte b = data[i];
                    if (b == (byte)'"')
                    {
                        if (i + 1 < data.Length && data[i + 1] == (byte)'"') { Append(ref used, b); i += 2; continue; }
                        if (i + 1 == data.Length && !isFinalBlock) break; // may be a doubled quote split by the read
                        closed = true;
                        i++;
                        break;
                    }
                    if (b == (byte)'\n') newlines++;
                    Append(ref used, b);
                    i++;
                }
                if (!closed)
                {
                    if (!isFinalBlock && data.Length <= MaxRecordBytes) { Batch.DiscardRow(); return 0; }
                    // No closing quote before the end (or within the record limit): only the first line is broken;
                    // decoding resumes on the next line instead of swallowing the rest of the input.
                    int nl = data.IndexOf((byte)'\n');
                    int end = nl < 0 ? data.Length : nl + 1;
                    var line = data[..(nl < 0 ? data.Length : nl)];
                    if (line.Length != 0 && line[^1] == (byte)'\r') line = line[..^1];
                    if (line.Length > MaxRecordBytes) line = line[..MaxRecordBytes];
                    RejectRow(offset, line, QuarantineReason.BrokenRecord, "unterminated quoted field");
                    LineNumber++;
                    Stats.BytesSkipped += end - line.Length;
                    return end;
                }
                text = _unquoted.AsSpan(0, used);
                if (i < data.Length && data[i] == (byte)'\r' && i + 1 < data.Length && data[i + 1] == (byte)'\n') i++;
                if (i >= data.Length)
                {
                    if (!isFinalBlock) { Batch.DiscardRow(); return 0; }
                    next = data.Length; endOfRecord = true;
                }
                else if (data[i] == _separator) { next = i + 1; endOfRecord = false; }
                else if (data[i] == (byte)'\n') { next = i + 1; endOfRecord = true; }
                else
                {
                    int nl = data[i..].IndexOf((byte)'\n');
                    if (nl < 0 && !isFinalBlock) { Batch.DiscardRow(); return 0; }
                    next = nl < 0 ? data.Length : i + nl + 1;
                    endOfRecord = true;
                    if (!failed) { failed = true; reason = QuarantineReason.BrokenRecord; detail = "text after a closing quote"; }
                }
            }
            else
            {
                var rest = data[pos..];
                int stop = rest.IndexOfAny(_separator, (byte)'\n');
                if (stop < 0)
                {
                    if (!isFinalBlock) { Batch.DiscardRow(); return 0; }
                    text = rest; next = data.Length; endOfRecord = true;
                }
                else
                {
                    text = rest[..stop];
                    endOfRecord = rest[stop] == (byte)'\n';
                    next = pos + stop + 1;
                }
                if (endOfRecord && text.Length != 0 && text[^1] == (byte)'\r') text = text[..^1];
            }
            if (!failed && field < fields)
            {
                int column = _fieldToColumn[field];
                if (column >= 0 && !StoreText(column, _fieldKind[field], text, ref timestamp, out reason))
                {
                    failed = true;
                    detail = Describe(column, text, reason);
                }
            }
            field++;
            pos = next;
            if (endOfRecord) break;
        }
        int recordEnd = pos;
        var raw = data[..recordEnd];
        if (raw.Length != 0 && raw[^1] == (byte)'\n') raw = raw[..^1];
        if (raw.Length != 0 && raw[^1] == (byte)'\r') raw = raw[..^1];
        if (!failed && field != fields) { failed = true; reason = QuarantineReason.BrokenRecord; detail = $"expected {fields} fields, found {field}"; }
        if (failed) RejectRow(offset, raw, reason, detail!);
        else AcceptRow(offset, offset + raw.Length, timestamp);
        Stats.BytesSkipped += recordEnd - raw.Length;
        LineNumber += newlines + 1;
        return recordEnd;
    }

    private void Append(ref int used, byte b)
    {
        if (used == _unquoted.Length) Array.Resize(ref _unquoted, _unquoted.Length * 2);
        _unquoted[used++] = b;
    }
}
