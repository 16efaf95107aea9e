using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Metrify.Engine.Columnar;
using Metrify.Engine.Frames.Text;

namespace Metrify.Engine.Frames;

public abstract partial class RecordDecoder
{
    /// <summary>
    /// Parses one field's text into its column of the current row. Empty text is null (or, for a required column,
    /// <see cref="QuarantineReason.MissingValue"/>). Returns false with the reason when the text does not parse;
    /// the row must then be rejected.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected bool StoreText(int column, ColumnKind kind, ReadOnlySpan<byte> text, ref long timestamp, out QuarantineReason reason)
    {
        reason = default;
        if (text.IsEmpty) return StoreEmpty(column, out reason);
        switch (kind)
        {
            case ColumnKind.Float64:
                if (Utf8Number.TryParseDouble(text, out double d)) { Batch.SetDouble(column, d); return true; }
                return StoreUnparsed(column, text, QuarantineReason.BadNumber, out reason);
            case ColumnKind.TimestampMicros:
                if (TryParseStamp(text, out long micros))
                {
                    Batch.SetInt64(column, micros);
                    if (column == PartitionColumn) timestamp = micros;
                    return true;
                }
                return StoreUnparsed(column, text, QuarantineReason.BadTimestamp, out reason);
            case ColumnKind.Utf8:
                if (!IsShortAscii(text) && !System.Text.Unicode.Utf8.IsValid(text)) { reason = QuarantineReason.InvalidText; return false; }
                Batch.SetBytes(column, text);
                return true;
            case ColumnKind.Int32:
                if (Utf8Number.TryParseInt32(text, out int i)) { Batch.SetInt32(column, i); return true; }
                return StoreUnparsed(column, text, QuarantineReason.BadNumber, out reason);
            case ColumnKind.Int64:
                if (long.TryParse(text, out long l)) { Batch.SetInt64(column, l); return true; }
                return StoreUnparsed(column, text, QuarantineReason.BadNumber, out reason);
            default:
                Batch.SetBytes(column, text);
                return true;
        }
    }

    /// <summary>Ids and codes of 8 to 16 ASCII bytes, checked with two word loads instead of a call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsShortAscii(ReadOnlySpan<byte> text)
    {
        if (text.Length is < 8 or > 16) return false;
        ref byte start = ref MemoryMarshal.GetReference(text);
        ulong words = Unsafe.ReadUnaligned<ulong>(ref start) | Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, text.Length - 8));
        return (words & 0x8080808080808080UL) == 0;
    }

    // The last instant parsed, as text and value: meters report in rounds, so most rows repeat the previous row's
    // instant, and comparing its text is cheaper than parsing and validating a calendar date again.
    private ShortBytes _stampText;
    private long _stampMicros;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryParseStamp(ReadOnlySpan<byte> text, out long micros)
    {
        if (_stampText.SameAs(text))
        {
            micros = _stampMicros;
            return true;
        }
        if (!Utf8Timestamp.TryParseMicros(text, out micros)) return false;
        if (text.Length <= ShortBytes.MaxLength)
        {
            _stampText = ShortBytes.Of(text);
            _stampMicros = micros;
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected bool StoreEmpty(int column, out QuarantineReason reason)
    {
        reason = QuarantineReason.MissingValue;
        if (_required[column]) return false;
        Batch.SetNull(column);
        return true;
    }

    /// <summary>Cold path: spaces around a value, or a null spelled out, are still accepted.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool StoreUnparsed(int column, ReadOnlySpan<byte> text, QuarantineReason failure, out QuarantineReason reason)
    {
        var trimmed = text.Trim((byte)' ');
        if (trimmed.Length != text.Length)
        {
            long ignored = 0;
            return StoreText(column, Table.Columns[column].Kind, trimmed, ref ignored, out reason);
        }
        if (IsNullToken(text)) return StoreEmpty(column, out reason);
        reason = failure;
        return false;
    }

    private static bool IsNullToken(ReadOnlySpan<byte> text) =>
        text.SequenceEqual("null"u8) || text.SequenceEqual("NULL"u8) || text.SequenceEqual("NaN"u8) || text.SequenceEqual("nan"u8);

    /// <summary>A readable quarantine detail for a field that failed.</summary>
    protected string Describe(int column, ReadOnlySpan<byte> text, QuarantineReason reason)
    {
        string shown = Encoding.UTF8.GetString(text.Length > 64 ? text[..64] : text);
        return reason switch
        {
            QuarantineReason.MissingValue => $"required column {ColumnName(column)} is empty",
            QuarantineReason.BadNumber => $"column {ColumnName(column)}: '{shown}' is not a number",
            QuarantineReason.BadTimestamp => $"column {ColumnName(column)}: '{shown}' is not an ISO 8601 instant",
            QuarantineReason.WrongType => $"column {ColumnName(column)}: wrong JSON type",
            QuarantineReason.InvalidText => $"column {ColumnName(column)}: not valid UTF-8",
            _ => $"column {ColumnName(column)}: {QuarantineReasons.Code(reason)}",
        };
    }
}
