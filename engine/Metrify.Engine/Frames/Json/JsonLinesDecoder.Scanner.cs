using System.Runtime.CompilerServices;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Frames.Json;

public sealed partial class JsonLinesDecoder
{
    /// <summary>
    /// Scans <c>{"name":value,...}</c> with scalar values and unescaped strings. Strict about the grammar it accepts;
    /// hands escaped strings and nested values to <see cref="ReadWithReader"/>.
    /// </summary>
    private ScanStatus ScanFlatObject(ReadOnlySpan<byte> s, ref ulong set, ref long timestamp, out int failedColumn, out QuarantineReason reason)
    {
        failedColumn = -1;
        reason = QuarantineReason.BrokenRecord;
        int i = SkipSpace(s, 0);
        if (i >= s.Length || s[i] != (byte)'{') return ScanStatus.Rejected;
        i = SkipSpace(s, i + 1);
        if (i < s.Length && s[i] == (byte)'}') return SkipSpace(s, i + 1) == s.Length ? ScanStatus.Ok : ScanStatus.Rejected;
        int property = 0;
        while (true)
        {
            if (i >= s.Length || s[i] != (byte)'"') return ScanStatus.Rejected;
            int nameEnd = s[(i + 1)..].IndexOfAny((byte)'"', (byte)'\\');
            if (nameEnd < 0) return ScanStatus.Rejected;
            if (s[i + 1 + nameEnd] == (byte)'\\') return ScanStatus.NeedsReader;
            var name = s.Slice(i + 1, nameEnd);
            i = SkipSpace(s, i + nameEnd + 2);
            if (i >= s.Length || s[i] != (byte)':') return ScanStatus.Rejected;
            i = SkipSpace(s, i + 1);
            if (i >= s.Length) return ScanStatus.Rejected;
            int column = ColumnOf(name, property++);
            byte first = s[i];
            int valueEnd;
            if (first == (byte)'"')
            {
                int end = s[(i + 1)..].IndexOfAny((byte)'"', (byte)'\\');
                if (end < 0) return ScanStatus.Rejected;
                if (s[i + 1 + end] == (byte)'\\') return ScanStatus.NeedsReader;
                var text = s.Slice(i + 1, end);
                valueEnd = i + end + 2;
                if (column >= 0)
                {
                    if (!StoreText(column, _kinds[column], text, ref timestamp, out reason)) { failedColumn = column; return ScanStatus.Rejected; }
                    set |= text.IsEmpty && _kinds[column] != ColumnKind.Utf8 ? 0 : 1UL << column;
                }
            }
            else if (first == (byte)'{' || first == (byte)'[')
            {
                return ScanStatus.NeedsReader;
            }
            else
            {
                valueEnd = i;
                while (valueEnd < s.Length && IsScalarByte(s[valueEnd])) valueEnd++;
                var text = s[i..valueEnd];
                if (text.IsEmpty) return ScanStatus.Rejected;
                if (first == (byte)'n')
                {
                    if (!text.SequenceEqual("null"u8)) return ScanStatus.Rejected;
                    if (column >= 0 && !StoreEmpty(column, out reason)) { failedColumn = column; return ScanStatus.Rejected; }
                }
                else if (first == (byte)'t' || first == (byte)'f')
                {
                    if (!text.SequenceEqual("true"u8) && !text.SequenceEqual("false"u8)) return ScanStatus.Rejected;
                    if (column >= 0) { failedColumn = column; reason = QuarantineReason.WrongType; return ScanStatus.Rejected; }
                }
                else
                {
                    if (!IsJsonNumber(text)) return ScanStatus.Rejected;
                    if (column >= 0)
                    {
                        if (_kinds[column] == ColumnKind.TimestampMicros) { failedColumn = column; reason = QuarantineReason.WrongType; return ScanStatus.Rejected; }
                        if (!StoreText(column, _kinds[column], text, ref timestamp, out reason)) { failedColumn = column; return ScanStatus.Rejected; }
                        set |= 1UL << column;
                    }
                }
            }
            i = SkipSpace(s, valueEnd);
            if (i >= s.Length) return ScanStatus.Rejected;
            if (s[i] == (byte)',') { i = SkipSpace(s, i + 1); continue; }
            if (s[i] == (byte)'}') return SkipSpace(s, i + 1) == s.Length ? ScanStatus.Ok : ScanStatus.Rejected;
            return ScanStatus.Rejected;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipSpace(ReadOnlySpan<byte> s, int i)
    {
        while (i < s.Length && (s[i] == (byte)' ' || s[i] == (byte)'\t')) i++;
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsScalarByte(byte b) =>
        (uint)(b - '0') <= 9 || (uint)((b | 0x20) - 'a') <= 'z' - 'a' || b is (byte)'-' or (byte)'+' or (byte)'.';

    /// <summary>JSON's number grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?</summary>
    private static bool IsJsonNumber(ReadOnlySpan<byte> t)
    {
        int i = 0;
        if (i < t.Length && t[i] == (byte)'-') i++;
        if (i >= t.Length) return false;
        if (t[i] == (byte)'0') i++;
        else if ((uint)(t[i] - '1') <= 8) { while (i < t.Length && (uint)(t[i] - '0') <= 9) i++; }
        else return false;
        if (i < t.Length && t[i] == (byte)'.')
        {
            i++;
            int start = i;
            while (i < t.Length && (uint)(t[i] - '0') <= 9) i++;
            if (i == start) return false;
        }
        if (i < t.Length && (t[i] | 0x20) == (byte)'e')
        {
            i++;
            if (i < t.Length && (t[i] == (byte)'+' || t[i] == (byte)'-')) i++;
            int start = i;
            while (i < t.Length && (uint)(t[i] - '0') <= 9) i++;
            if (i == start) return false;
        }
        return i == t.Length;
    }
}
