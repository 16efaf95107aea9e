using System.Runtime.CompilerServices;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Frames.Json;

/// <summary>
/// JSON lines (one object per line) into a <see cref="ColumnBatch"/>. A schema-aware scanner reads flat objects
/// straight from the UTF-8 bytes: it knows the table's property names, predicts each property from the previous
/// line's order, and parses numbers and timestamps in place. Anything it does not handle itself (escaped strings,
/// nested values) is decoded by <c>Utf8JsonReader</c>, which is also the reference the tests compare against.
/// </summary>
[SkipLocalsInit]
public sealed partial class JsonLinesDecoder : RecordDecoder
{
    private readonly byte[][] _names;
    private readonly ColumnKind[] _kinds;
    private readonly ulong _requiredMask;
    private readonly int[] _varLenColumns;
    private readonly int[] _predicted = new int[64]; // column of the n-th property in the previous line
    private bool _skippingOversized;

    public JsonLinesDecoder(TableSpec table, ColumnBatchPool pool, IBatchSink sink, QuarantineCollector quarantine,
        int maxRecordBytes = 1 << 20)
        : base(table, pool, sink, quarantine, maxRecordBytes)
    {
        if (table.Columns.Count > 64) throw new ArgumentException("At most 64 columns per table.", nameof(table));
        _names = new byte[table.Columns.Count][];
        _kinds = new ColumnKind[table.Columns.Count];
        var varLen = new List<int>();
        for (int c = 0; c < table.Columns.Count; c++)
        {
            var spec = table.Columns[c];
            _names[c] = System.Text.Encoding.UTF8.GetBytes(spec.Name);
            _kinds[c] = spec.Kind;
            if (spec.Required) _requiredMask |= 1UL << c;
            if (spec.Kind is ColumnKind.Utf8 or ColumnKind.Binary) varLen.Add(c);
            if (spec.Source == ColumnSource.Engine) _names[c] = []; // never matched from input
            MarkWritten(c);
        }
        _varLenColumns = varLen.ToArray();
        Array.Fill(_predicted, -1);
    }

    public override int Decode(ReadOnlySpan<byte> data, long dataOffset, bool isFinalBlock)
    {
        int pos = 0;
        while (pos < data.Length)
        {
            var rest = data[pos..];
            int nl = rest.IndexOf((byte)'\n');
            if (_skippingOversized)
            {
                int skip = nl < 0 ? rest.Length : nl + 1;
                Stats.BytesSkipped += skip;
                pos += skip;
                if (nl >= 0) { _skippingOversized = false; LineNumber++; }
                continue;
            }
            if (nl < 0 && !isFinalBlock)
            {
                if (rest.Length > MaxRecordBytes)
                {
                    RejectRow(dataOffset + pos, rest[..MaxRecordBytes], QuarantineReason.Oversized, $"record exceeds the limit of {MaxRecordBytes} bytes");
                    Stats.BytesSkipped += rest.Length - MaxRecordBytes;
                    _skippingOversized = true;
                    pos = data.Length;
                }
                break;
            }
            int consumed = nl < 0 ? rest.Length : nl + 1;
            var line = rest[..(nl < 0 ? rest.Length : nl)];
            if (line.Length != 0 && line[^1] == (byte)'\r') line = line[..^1];
            var trimmed = line.Length != 0 && line[^1] == (byte)'}' ? line : line.TrimEnd(" \t"u8);
            if (trimmed.Length > MaxRecordBytes)
            {
                RejectRow(dataOffset + pos, trimmed[..MaxRecordBytes], QuarantineReason.Oversized, $"record of {trimmed.Length} bytes exceeds the limit of {MaxRecordBytes}");
                Stats.BytesSkipped += trimmed.Length - MaxRecordBytes;
            }
            else if (trimmed.IsEmpty || (trimmed[0] != (byte)'{' && trimmed.TrimStart(" \t"u8).IsEmpty))
                Stats.BytesSkipped += trimmed.Length;
            else
                DecodeLine(trimmed, dataOffset + pos);
            Stats.BytesSkipped += consumed - trimmed.Length;
            LineNumber++;
            pos += consumed;
        }
        return pos;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // fully optimised from the first call when a JIT runs it (docs/design.md, Shipping)
    private void DecodeLine(ReadOnlySpan<byte> line, long offset)
    {
        ulong set = 0;
        long timestamp = 0;
        if (_templateSteps != 0)
        {
            if (TryScanTemplate(line, ref set, ref timestamp))
            {
                FinishRow(line, offset, set, timestamp);
                return;
            }
            Batch.DiscardRow();
            set = 0;
            timestamp = 0;
        }
        var status = ScanFlatObject(line, ref set, ref timestamp, out int failedColumn, out var reason);
        if (status == ScanStatus.NeedsReader)
        {
            Batch.DiscardRow();
            set = 0;
            status = ReadWithReader(line, ref set, ref timestamp, out failedColumn, out reason);
        }
        if (status == ScanStatus.Rejected)
        {
            RejectRow(offset, line, reason, failedColumn >= 0 ? DescribeJson(failedColumn, reason) : "not a valid JSON object");
            return;
        }
        FinishRow(line, offset, set, timestamp);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void FinishRow(ReadOnlySpan<byte> line, long offset, ulong set, long timestamp)
    {
        if ((set & _requiredMask) != _requiredMask)
        {
            int missing = System.Numerics.BitOperations.TrailingZeroCount(_requiredMask & ~set);
            RejectRow(offset, line, QuarantineReason.MissingValue, $"required property {ColumnName(missing)} is missing");
            return;
        }
        foreach (int c in _varLenColumns)
            if ((set & (1UL << c)) == 0) Batch.SetNull(c);
        AcceptRow(offset, offset + line.Length, timestamp);
    }

    private string DescribeJson(int column, QuarantineReason reason) => reason switch
    {
        QuarantineReason.MissingValue => $"required property {ColumnName(column)} is null or empty",
        QuarantineReason.BadNumber => $"property {ColumnName(column)} is not a number",
        QuarantineReason.BadTimestamp => $"property {ColumnName(column)} is not an ISO 8601 instant",
        QuarantineReason.WrongType => $"property {ColumnName(column)} has the wrong JSON type",
        _ => $"property {ColumnName(column)}: {QuarantineReasons.Code(reason)}",
    };

    private enum ScanStatus : byte { Ok, Rejected, NeedsReader }

    /// <summary>Which column a property name belongs to: the predicted one first, then a scan of the names.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int ColumnOf(ReadOnlySpan<byte> name, int propertyIndex)
    {
        if ((uint)propertyIndex < (uint)_predicted.Length)
        {
            int guess = _predicted[propertyIndex];
            if (guess >= 0 && name.SequenceEqual(_names[guess])) return guess;
        }
        return ColumnOfSlow(name, propertyIndex);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int ColumnOfSlow(ReadOnlySpan<byte> name, int propertyIndex)
    {
        for (int c = 0; c < _names.Length; c++)
        {
            if (name.SequenceEqual(_names[c]))
            {
                if ((uint)propertyIndex < (uint)_predicted.Length) _predicted[propertyIndex] = c;
                return c;
            }
        }
        return -1;
    }
}
