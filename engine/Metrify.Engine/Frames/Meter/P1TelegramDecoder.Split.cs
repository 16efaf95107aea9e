using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Metrify.Engine.Frames.Meter;

public sealed partial class P1TelegramDecoder
{
    /// <summary>
    /// Splits the object lines between the header and the '!' into value groups. A structural index does the
    /// scanning, as simdjson does for JSON: vector compares turn the telegram into bit maps of its line feeds,
    /// '(', ')' and '*', and each line is then walked from bit to bit (its first '(' ends the OBIS id, the next
    /// ')' ends a value). The bytes in between (digits, hex ids) are never looked at here, and a regular line
    /// takes the same few branches every time.
    /// </summary>
    private void Split(ReadOnlySpan<byte> t, int from, int bang)
    {
        _count = 0;
        int words = (bang - from + 63) >> 6;
        if (_newlines.Length < words) Array.Resize(ref _newlines, words * 2);
        if (_opens.Length < words) Array.Resize(ref _opens, words * 2);
        if (_closes.Length < words) Array.Resize(ref _closes, words * 2);
        if (_stars.Length < words) Array.Resize(ref _stars, words * 2);
        for (int w = 0; w < words; w++) Masks(t, from + 64 * w, Math.Min(64, bang - from - 64 * w), w);

        var last = new Value { Class = new ObisClass(Role.Register) };
        var id = default(Value);
        int ls = from;
        while (ls < bang)
        {
            int nl = Next(_newlines, from, ls, bang);
            int le = nl > ls && t[nl - 1] == '\r' ? nl - 1 : nl;
            int next = nl + 1;
            if (le == ls) { ls = next; continue; }
            int open = Next(_opens, from, ls, le);
            int first = _count;
            ref var head = ref last; // the line's id, shared by its values
            bool bad = open == le;
            if (!bad && open != ls) // a value on its own line (DSMR 2.2/3.0 gas) continues the previous id
            {
                id = default;
                int at = ParseObis(t, ls, open, out id.Obis, out bool canonical, out id.Class);
                bad = at != open - ls;
                id.ObisStart = ls;
                id.ObisLength = canonical ? at : 0;
                id.Index = 0;
                head = ref id;
            }
            while (!bad)
            {
                int close = Next(_closes, from, open + 1, le); // le when the value has no ')': it ends with the line
                int star = Next(_stars, from, open + 1, close);
                if (_count == _values.Length) Array.Resize(ref _values, _count * 2);
                ref var v = ref _values[_count++];
                v = head;
                v.Index = head.Index++;
                v.Start = open + 1;
                v.Length = close - open - 1;
                v.Star = star < close ? star - open - 1 : -1;
                if (close >= le - 1) break;
                if (t[close + 1] != '(') { bad = true; break; } // text between or after the value groups
                open = close + 1;
            }
            if (bad)
            {
                _count = first;
                if (_count == _values.Length) Array.Resize(ref _values, _count * 2);
                _values[_count++] = new Value { Start = ls, Length = le - ls, Star = -1, Unparsed = true };
            }
            else if (!Unsafe.AreSame(ref head, ref last)) last = head;
            ls = next;
        }
    }

    private ulong[] _newlines = new ulong[64], _opens = new ulong[64], _closes = new ulong[64], _stars = new ulong[64];

    /// <summary>The first position at or after <paramref name="at"/> whose bit is set, or <paramref name="limit"/>.
    /// The maps cover [origin, limit) of a telegram, so the words read are always inside them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Next(ulong[] bits, int origin, int at, int limit)
    {
        if (at >= limit) return limit;
        int rel = at - origin, w = rel >> 6, last = (limit - origin - 1) >> 6;
        ref ulong words = ref MemoryMarshal.GetArrayDataReference(bits);
        ulong word = Unsafe.Add(ref words, w) & (~0UL << (rel & 63));
        while (word == 0)
        {
            if (++w > last) return limit;
            word = Unsafe.Add(ref words, w);
        }
        int p = origin + (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(word);
        return p < limit ? p : limit;
    }

    /// <summary>The four bit maps of t[at..at+length) (length ≤ 64) into word <paramref name="w"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Masks(ReadOnlySpan<byte> t, int at, int length, int w)
    {
        ulong nl, open, close, star;
        if (Vector256.IsHardwareAccelerated && at + 64 <= t.Length)
        {
            ref byte p = ref Unsafe.Add(ref MemoryMarshal.GetReference(t), at);
            var a = Vector256.LoadUnsafe(ref p);
            var b = Vector256.LoadUnsafe(ref p, 32);
            nl = Bits(a, b, (byte)'\n');
            open = Bits(a, b, (byte)'(');
            close = Bits(a, b, (byte)')');
            star = Bits(a, b, (byte)'*');
        }
        else if (Vector128.IsHardwareAccelerated && at + 64 <= t.Length)
        {
            ref byte p = ref Unsafe.Add(ref MemoryMarshal.GetReference(t), at);
            var (a, b, c, d) = (Vector128.LoadUnsafe(ref p), Vector128.LoadUnsafe(ref p, 16), Vector128.LoadUnsafe(ref p, 32), Vector128.LoadUnsafe(ref p, 48));
            nl = Bits(a, b, c, d, (byte)'\n');
            open = Bits(a, b, c, d, (byte)'(');
            close = Bits(a, b, c, d, (byte)')');
            star = Bits(a, b, c, d, (byte)'*');
        }
        else
        {
            nl = open = close = star = 0;
            for (int i = 0; i < length; i++)
            {
                switch (t[at + i])
                {
                    case (byte)'\n': nl |= 1UL << i; break;
                    case (byte)'(': open |= 1UL << i; break;
                    case (byte)')': close |= 1UL << i; break;
                    case (byte)'*': star |= 1UL << i; break;
                }
            }
        }
        ulong keep = length == 64 ? ~0UL : (1UL << length) - 1;
        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_newlines), w) = nl & keep;
        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_opens), w) = open & keep;
        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_closes), w) = close & keep;
        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_stars), w) = star & keep;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Bits(Vector256<byte> a, Vector256<byte> b, byte c) =>
        Vector256.Equals(a, Vector256.Create(c)).ExtractMostSignificantBits() | (ulong)Vector256.Equals(b, Vector256.Create(c)).ExtractMostSignificantBits() << 32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Bits(Vector128<byte> a, Vector128<byte> b, Vector128<byte> c, Vector128<byte> d, byte x) =>
        Vector128.Equals(a, Vector128.Create(x)).ExtractMostSignificantBits() | (ulong)Vector128.Equals(b, Vector128.Create(x)).ExtractMostSignificantBits() << 16
        | (ulong)Vector128.Equals(c, Vector128.Create(x)).ExtractMostSignificantBits() << 32 | (ulong)Vector128.Equals(d, Vector128.Create(x)).ExtractMostSignificantBits() << 48;

    private struct CachedObis
    {
        public ulong Text0, Text1;
        public int Length;
        public Obis Obis;
        public ObisClass Class;
        public bool Canonical;
    }

    private readonly CachedObis[] _obisCache = new CachedObis[4096];

    /// <summary>
    /// Parses the OBIS id in t[start..open) (open is its '('). A meter repeats the same ids every telegram, so the
    /// id's bytes (up to 16, packed in two integers) key a small direct-mapped cache of parsed ids: one hash, one
    /// compare, instead of a digit-and-separator loop whose branches mispredict at every separator.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int ParseObis(ReadOnlySpan<byte> t, int start, int open, out Obis obis, out bool canonical, out ObisClass role)
    {
        int length = open - start;
        if (length > 16 || start + 16 > t.Length)
        {
            int n = Obis.TryParseText(t[start..(open + 1)], out obis, out canonical);
            role = Classify(obis);
            return n;
        }
        ref byte p = ref Unsafe.Add(ref MemoryMarshal.GetReference(t), start);
        ulong a = Unsafe.ReadUnaligned<ulong>(ref p), b = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, 8));
        if (!BitConverter.IsLittleEndian) { a = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(a); b = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(b); }
        if (length < 8) { a &= (1UL << (8 * length)) - 1; b = 0; }
        else if (length < 16) b &= (1UL << (8 * (length - 8))) - 1;
        ref var e = ref _obisCache[(int)(((a * 0x9E3779B97F4A7C15UL) ^ b) * 0xBF58476D1CE4E5B9UL >> 52)];
        if (e.Length == length && e.Text0 == a && e.Text1 == b)
        {
            obis = e.Obis;
            canonical = e.Canonical;
            role = e.Class;
            return length;
        }
        int at = Obis.TryParseText(t[start..(open + 1)], out obis, out canonical);
        role = Classify(obis);
        if (at == length) e = new CachedObis { Text0 = a, Text1 = b, Length = length, Obis = obis, Canonical = canonical, Class = role };
        return at;
    }
}
