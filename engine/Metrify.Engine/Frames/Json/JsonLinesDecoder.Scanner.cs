using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Frames.Json;

public sealed partial class JsonLinesDecoder
{
    /// <summary>
    /// Scans <c>{"name":value,...}</c> with scalar values and unescaped strings. Strict about the grammar it accepts;
    /// hands escaped strings and nested values to <see cref="ReadWithReader"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // fully optimised from the first call when a JIT runs it (docs/design.md, Shipping)
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
            int column;
            if (TryPredicted(s, i, property, out column, out int afterName))
            {
                property++;
                i = afterName;
            }
            else
            {
                int nameEnd = s[(i + 1)..].IndexOfAny((byte)'"', (byte)'\\');
                if (nameEnd < 0) return ScanStatus.Rejected;
                if (s[i + 1 + nameEnd] == (byte)'\\') return ScanStatus.NeedsReader;
                column = ColumnOf(s.Slice(i + 1, nameEnd), property++);
                i = SkipSpace(s, i + nameEnd + 2);
                if (i >= s.Length || s[i] != (byte)':') return ScanStatus.Rejected;
                i = i + 1;
            }
            i = SkipSpace(s, i);
            if (i >= s.Length) return ScanStatus.Rejected;
            byte first = s[i];
            int valueEnd;
            if (first == (byte)'"')
            {
                int end = StringEnd(s, i + 1);
                if (end < 0) return ScanStatus.Rejected;
                if (s[i + 1 + end] == (byte)'\\') return ScanStatus.NeedsReader;
                var text = s.Slice(i + 1, end);
                valueEnd = i + end + 2;
                if (column >= 0)
                {
                    if (!StoreText(column, _kinds[column], text, ref timestamp, out reason)) { failedColumn = column; return ScanStatus.Rejected; }
                    set |= text.IsEmpty && _kinds[column] != ColumnKind.Utf8 ? 0 : 1UL << column;
                }
                See(property - 1, column >= 0 && _kinds[column] is ColumnKind.Utf8 or ColumnKind.TimestampMicros ? column : -1, i, valueEnd);
            }
            else if (first == (byte)'{' || first == (byte)'[')
            {
                return ScanStatus.NeedsReader;
            }
            else if (column >= 0 && _kinds[column] == ColumnKind.Float64 && TryNumber(s, i, out valueEnd, out double number))
            {
                Batch.SetDouble(column, number);
                set |= 1UL << column;
                See(property - 1, column, i, valueEnd);
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
                    See(property - 1, column, i, valueEnd);
                }
                else if (first == (byte)'t' || first == (byte)'f')
                {
                    if (!text.SequenceEqual("true"u8) && !text.SequenceEqual("false"u8)) return ScanStatus.Rejected;
                    See(property - 1, -1, i, valueEnd);
                    if (column >= 0) { failedColumn = column; reason = QuarantineReason.WrongType; return ScanStatus.Rejected; }
                }
                else
                {
                    See(property - 1, -1, i, valueEnd);
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
            if (s[i] == (byte)'}')
            {
                if (SkipSpace(s, i + 1) != s.Length) return ScanStatus.Rejected;
                LearnTemplate(s, property);
                return ScanStatus.Ok;
            }
            return ScanStatus.Rejected;
        }
    }

    /// <summary>
    /// The common case: this property has the name the same position had in the previous line, written as
    /// <c>"name":</c>. One comparison instead of a search for the closing quote and a name lookup.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryPredicted(ReadOnlySpan<byte> s, int i, int property, out int column, out int afterColon)
    {
        column = (uint)property < (uint)_predicted.Length ? _predicted[property] : -1;
        afterColon = 0;
        if (column < 0) return false;
        var name = _names[column];
        int end = i + 1 + name.Length;
        if (end + 1 >= s.Length || s[end] != (byte)'"' || s[end + 1] != (byte)':' || !s.Slice(i + 1, name.Length).SequenceEqual(name))
            return false;
        afterColon = end + 2;
        return true;
    }

    /// <summary>Offset (from <paramref name="start"/>) of the first quote or backslash, or -1. Values are short (ids,
    /// instants): one or two 16-byte compares find the end without a call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int StringEnd(ReadOnlySpan<byte> s, int start)
    {
        ref byte at = ref MemoryMarshal.GetReference(s);
        if (start + 32 <= s.Length)
        {
            uint hits = QuoteOrBackslash(Vector128.LoadUnsafe(ref at, (nuint)start));
            if (hits != 0) return BitOperations.TrailingZeroCount(hits);
            hits = QuoteOrBackslash(Vector128.LoadUnsafe(ref at, (nuint)(start + 16)));
            if (hits != 0) return 16 + BitOperations.TrailingZeroCount(hits);
            int rest = s[(start + 32)..].IndexOfAny((byte)'"', (byte)'\\');
            return rest < 0 ? -1 : 32 + rest;
        }
        int end = s[start..].IndexOfAny((byte)'"', (byte)'\\');
        return end;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint QuoteOrBackslash(Vector128<byte> v) =>
        (Vector128.Equals(v, Vector128.Create((byte)'"')) | Vector128.Equals(v, Vector128.Create((byte)'\\'))).ExtractMostSignificantBits();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipSpace(ReadOnlySpan<byte> s, int i)
    {
        while (i < s.Length && (s[i] == (byte)' ' || s[i] == (byte)'\t')) i++;
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsScalarByte(byte b) =>
        (uint)(b - '0') <= 9 || (uint)((b | 0x20) - 'a') <= 'z' - 'a' || b is (byte)'-' or (byte)'+' or (byte)'.';

    /// <summary>
    /// The common case in one pass: a JSON number <c>-?(0|[1-9]\d*)(\.\d+)?</c> of at most 15 significant digits,
    /// validated and converted together (exact: one correctly rounded division by a power of ten). Anything
    /// else (exponents, long mantissas, not a number at all) returns false and takes the general path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryNumber(ReadOnlySpan<byte> s, int i, out int end, out double value)
    {
        value = 0;
        end = i;
        bool negative = false;
        if (i < s.Length && s[i] == (byte)'-') { negative = true; i++; }
        if (i >= s.Length) return false;
        ulong mantissa = 0;
        int digits = 0, fraction = 0;
        uint d = (uint)(s[i] - '0');
        if (d > 9) return false;
        if (d == 0) i++;
        else
        {
            for (; i < s.Length && (d = (uint)(s[i] - '0')) <= 9; i++) { mantissa = mantissa * 10 + d; digits++; }
        }
        if (i < s.Length && s[i] == (byte)'.')
        {
            i++;
            int start = i;
            for (; i < s.Length && (d = (uint)(s[i] - '0')) <= 9; i++) { mantissa = mantissa * 10 + d; digits++; }
            fraction = i - start;
            if (fraction == 0) return false;
        }
        if (digits > 15 || fraction > 15 || (i < s.Length && (s[i] | 0x20) == (byte)'e')) return false;
        double result = mantissa;
        if (fraction != 0) result /= Pow10[fraction];
        value = negative ? -result : result;
        end = i;
        return true;
    }

    private static readonly double[] Pow10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

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
