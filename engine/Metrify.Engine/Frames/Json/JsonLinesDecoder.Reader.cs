using System.Text.Json;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Frames.Json;

public sealed partial class JsonLinesDecoder
{
    private byte[] _unescaped = new byte[256];

    /// <summary>
    /// The general path through <see cref="Utf8JsonReader"/>: escaped strings, nested values (ignored unless they
    /// sit where a scalar column belongs), and full validation. Invalid JSON ends up here too, and its
    /// <see cref="JsonException"/> is caught once per bad line: a cold path, never taken by well-formed data.
    /// </summary>
    private ScanStatus ReadWithReader(ReadOnlySpan<byte> line, ref ulong set, ref long timestamp, out int failedColumn, out QuarantineReason reason)
    {
        failedColumn = -1;
        reason = QuarantineReason.BrokenRecord;
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return ScanStatus.Rejected;
            int property = 0;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject)
                    return reader.Read() ? ScanStatus.Rejected : ScanStatus.Ok;
                int column = ColumnOf(Unescape(ref reader), property++);
                reader.Read();
                if (column < 0) { reader.Skip(); continue; }
                var kind = _kinds[column];
                switch (reader.TokenType)
                {
                    case JsonTokenType.String:
                    {
                        var text = Unescape(ref reader);
                        if (!StoreText(column, kind, text, ref timestamp, out reason)) { failedColumn = column; return ScanStatus.Rejected; }
                        if (!text.IsEmpty || kind == ColumnKind.Utf8) set |= 1UL << column;
                        break;
                    }
                    case JsonTokenType.Number when kind != ColumnKind.TimestampMicros:
                        if (!StoreText(column, kind, reader.ValueSpan, ref timestamp, out reason)) { failedColumn = column; return ScanStatus.Rejected; }
                        set |= 1UL << column;
                        break;
                    case JsonTokenType.Null:
                        if (!StoreEmpty(column, out reason)) { failedColumn = column; return ScanStatus.Rejected; }
                        break;
                    default:
                        failedColumn = column;
                        reason = QuarantineReason.WrongType;
                        return ScanStatus.Rejected;
                }
            }
            return ScanStatus.Rejected;
        }
        catch (JsonException)
        {
            failedColumn = -1;
            reason = QuarantineReason.BrokenRecord;
            return ScanStatus.Rejected;
        }
    }

    private ReadOnlySpan<byte> Unescape(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped) return reader.ValueSpan;
        if (_unescaped.Length < reader.ValueSpan.Length) _unescaped = new byte[reader.ValueSpan.Length * 2];
        int written = reader.CopyString(_unescaped);
        return _unescaped.AsSpan(0, written);
    }
}
