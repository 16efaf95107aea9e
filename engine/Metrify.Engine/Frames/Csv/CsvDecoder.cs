using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Frames.Csv;

/// <summary>
/// RFC 4180 CSV records straight from UTF-8 bytes into a <see cref="ColumnBatch"/>. Lines without a quote take the
/// fast path: one vectorised search for the line end, then one per separator, and numbers and timestamps parsed in
/// place. A line holding a quote takes <see cref="CsvDecoder"/>'s quoted path (which may span lines).
/// Sep, the reference CSV reader, is what the tests compare this decoder against.
/// </summary>
[SkipLocalsInit]
public sealed partial class CsvDecoder : RecordDecoder
{
    private static readonly SearchValues<byte> LineEndOrQuote = SearchValues.Create("\n\""u8);
    private readonly int[] _fieldToColumn;
    private readonly ColumnKind[] _fieldKind;
    private readonly byte _separator;
    private bool _skippingOversized;

    /// <param name="firstLineNumber">Line number of the first record (2 when the header was line 1).</param>
    public CsvDecoder(CsvLayout layout, ColumnBatchPool pool, IBatchSink sink, QuarantineCollector quarantine,
        long firstLineNumber = 2, int maxRecordBytes = 1 << 20)
        : base(layout.Table, pool, sink, quarantine, maxRecordBytes)
    {
        _fieldToColumn = layout.FieldToColumn;
        _separator = layout.Separator;
        _fieldKind = new ColumnKind[_fieldToColumn.Length];
        for (int f = 0; f < _fieldToColumn.Length; f++)
        {
            int c = _fieldToColumn[f];
            if (c < 0) continue;
            _fieldKind[f] = layout.Table.Columns[c].Kind;
            MarkWritten(c);
        }
        LineNumber = firstLineNumber;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // fully optimised from the first call when a JIT runs it (docs/design.md, Shipping)
    public override int Decode(ReadOnlySpan<byte> data, long dataOffset, bool isFinalBlock)
    {
        int pos = 0;
        while (pos < data.Length)
        {
            var rest = data[pos..];
            if (_skippingOversized)
            {
                int nl = rest.IndexOf((byte)'\n');
                int skip = nl < 0 ? rest.Length : nl + 1;
                Stats.BytesSkipped += skip;
                pos += skip;
                if (nl >= 0) { _skippingOversized = false; LineNumber++; }
                continue;
            }
            if (Vector256.IsHardwareAccelerated)
            {
                pos = DecodeBlocks(data, pos, dataOffset);
                rest = data[pos..];
            }
            int hit = rest.IndexOfAny(LineEndOrQuote);
            if (hit >= 0 && rest[hit] == (byte)'"')
            {
                int used = DecodeQuoted(rest, dataOffset + pos, isFinalBlock);
                if (used == 0) break;
                pos += used;
                continue;
            }
            int lineLength = hit;
            if (hit < 0)
            {
                if (!isFinalBlock)
                {
                    if (rest.Length > MaxRecordBytes) { RejectOversized(rest, dataOffset + pos); pos = data.Length; }
                    break;
                }
                lineLength = rest.Length;
            }
            var line = rest[..lineLength];
            int consumed = hit < 0 ? lineLength : lineLength + 1;
            if (line.Length != 0 && line[^1] == (byte)'\r') line = line[..^1];
            if (line.Length > MaxRecordBytes)
            {
                RejectRow(dataOffset + pos, line[..MaxRecordBytes], QuarantineReason.Oversized, $"record of {line.Length} bytes exceeds the limit of {MaxRecordBytes}");
                Stats.BytesSkipped += line.Length - MaxRecordBytes;
            }
            else if (line.IsEmpty)
                Stats.BytesSkipped += consumed;
            else
                DecodeLine(line, dataOffset + pos);
            if (line.Length != 0) Stats.BytesSkipped += consumed - line.Length; // the line ending
            LineNumber++;
            pos += consumed;
        }
        return pos;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RejectOversized(ReadOnlySpan<byte> rest, long offset)
    {
        RejectRow(offset, rest[..MaxRecordBytes], QuarantineReason.Oversized, $"record exceeds the limit of {MaxRecordBytes} bytes");
        Stats.BytesSkipped += rest.Length - MaxRecordBytes;
        _skippingOversized = true;
    }

    /// <summary>The fast path: one record on one line with no quotes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void DecodeLine(ReadOnlySpan<byte> line, long offset)
    {
        int[] map = _fieldToColumn;
        ColumnKind[] kinds = _fieldKind;
        byte sep = _separator;
        int fields = map.Length;
        long timestamp = 0;
        int field = 0, pos = 0;
        while (true)
        {
            var rest = line[pos..];
            int len = rest.IndexOf(sep);
            var text = len < 0 ? rest : rest[..len];
            if (field < fields)
            {
                int column = map[field];
                if (column >= 0 && !StoreText(column, kinds[field], text, ref timestamp, out var reason))
                {
                    RejectRow(offset, line, reason, Describe(column, text, reason));
                    return;
                }
            }
            field++;
            if (len < 0) break;
            pos += len + 1;
        }
        if (field != fields)
        {
            RejectRow(offset, line, QuarantineReason.BrokenRecord, $"expected {fields} fields, found {field}");
            return;
        }
        AcceptRow(offset, offset + line.Length, timestamp);
    }
}
