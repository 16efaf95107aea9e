using Metrify.Engine.Columnar;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Metrify.Engine.Quality;

/// <summary>
/// What the stateful checks remember of one series (a meter, a grid operator, a weather station): 64 bytes.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
public struct SeriesState
{
    /// <summary>Newest instant accepted (UTC µs): the series' watermark.</summary>
    public long LastMicros;
    /// <summary>Last import and export register totals (NaN until a row carries one).</summary>
    public double LastImport, LastExport;
    /// <summary>Running mean (NaN until the first energy) and mean absolute deviation of the energy per reading, for spikes.</summary>
    public float Mean, Deviation;
    /// <summary>Where the key's bytes sit in the key arena, and their length.</summary>
    public int KeyOffset;
    public ushort KeyLength;
    /// <summary>Readings that updated the state (saturates); 0 for a series not seen yet.</summary>
    public ushort Count;
    /// <summary>The series' cadence (seconds; 0 while unknown) and the step before the latest.</summary>
    public int CadenceSeconds, LastStepSeconds;
    /// <summary>Hash of the newest row's values, to tell an identical duplicate from a conflicting one.</summary>
    public uint RowHash;
    /// <summary>The series of the row that followed this one's last row: the likely next series in the next
    /// round (a hint, checked against the key; -1 for none).</summary>
    public int Successor;
    /// <summary>The journal that last recorded this state (so each unit records a series once).</summary>
    public uint Journal;
    /// <summary>How many steps in a row had the latest step's length (saturates).</summary>
    public byte StepRepeats;
    /// <summary>The meter's recent peak energy per reading, decaying, in IEEE half precision (plenty for a
    /// threshold). Stored as bits and converted inline: <see cref="Half"/>'s conversions are calls in software and
    /// were a tenth of the checks' time. Not negative; above 65504 it saturates, below 6.1e-5 it is 0.</summary>
    public ushort EnvelopeBits;

    public float Envelope
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        readonly get => EnvelopeBits == 0 ? 0 : BitConverter.UInt32BitsToSingle(((uint)EnvelopeBits << 13) + 0x3800_0000);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        set
        {
            uint x = BitConverter.SingleToUInt32Bits(value);
            // Rebias the exponent (127 -> 15) and round the mantissa to 10 bits, to nearest even.
            EnvelopeBits = !(value >= 6.1035156e-5f) ? (ushort)0 : x >= 0x477F_E000 ? (ushort)0x7BFF
                : (ushort)((x - 0x3800_0000 + 0x0FFF + ((x >> 13) & 1)) >> 13);
        }
    }
}

/// <summary>
/// Per-series state in two flat arrays: the states in chunks of 64 Ki (growing never copies them) and an
/// open-addressing index of state numbers (linear probing, at most half full). Keys are kept once, in a byte
/// arena, and compared in full: a hash collision can never merge two meters. About 64 + 8..16 + key bytes per series
/// (~90 bytes for a 14-character meter id): 10 million meters in under 1 GiB. Not thread-safe; callers lock.
/// </summary>
public sealed class SeriesStates
{
    private const int ChunkBits = 16;
    private readonly List<SeriesState[]> _chunks = new();
    private int[] _index = new int[1024]; // state number + 1; 0 = empty
    private byte[] _keys = new byte[1 << 16];
    private int _keyBytes;

    public int Count { get; private set; }

    /// <summary>Bytes held: states, index and key arena.</summary>
    public long AllocatedBytes =>
        (long)_chunks.Count * (1 << ChunkBits) * Marshal.SizeOf<SeriesState>() + _index.LongLength * sizeof(int) + _keys.LongLength;

public ref SeriesState this[int number]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref _chunks[number >> ChunkBits][number & ((1 << ChunkBits) - 1)];
    }

    /// <summary>The state number of <paramref name="key"/>, where the row before it was of series
    /// <paramref name="previous"/> (or -1). Meters report in rounds, in the same order each time, so a key equal to
    /// the previous series' <see cref="SeriesState.Successor"/> is found without hashing or probing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int GetOrAdd(ReadOnlySpan<byte> key, int previous)
    {
        if ((uint)previous >= (uint)Count) return GetOrAdd(key);
        ref int next = ref this[previous].Successor;
        if (next >= 0)
        {
            ref var s = ref this[next];
            if (ShortKey.Equal(key, _keys.AsSpan(s.KeyOffset, s.KeyLength))) return next;
        }
        int found = GetOrAdd(key); // may add a chunk of states, not move one: the reference still holds
        next = found;
        return found;
    }

    /// <summary>The state number of <paramref name="key"/>, added (zeroed, Count 0) when new.</summary>
    public int GetOrAdd(ReadOnlySpan<byte> key)
    {
        uint hash = (uint)ShortKey.Hash(key);
        int mask = _index.Length - 1;
        for (int slot = (int)(hash & mask); ; slot = (slot + 1) & mask)
        {
            int number = _index[slot] - 1;
            if (number < 0) break;
            ref var s = ref this[number];
            if (ShortKey.Equal(key, _keys.AsSpan(s.KeyOffset, s.KeyLength))) return number;
        }
        return Add(key, hash);
    }

    private int Add(ReadOnlySpan<byte> key, uint hash)
    {
        if (key.Length > ushort.MaxValue) key = key[..ushort.MaxValue];
        int number = Count++;
        if ((number >> ChunkBits) == _chunks.Count) _chunks.Add(new SeriesState[1 << ChunkBits]);
        if (_keyBytes + key.Length > _keys.Length) Array.Resize(ref _keys, Math.Max(_keys.Length * 2, _keyBytes + key.Length));
        key.CopyTo(_keys.AsSpan(_keyBytes));
        ref var s = ref this[number];
        s = default;
        s.KeyOffset = _keyBytes;
        s.KeyLength = (ushort)key.Length;
        s.Successor = -1;
        s.LastImport = s.LastExport = double.NaN;
        s.Mean = float.NaN;
        _keyBytes += key.Length;
        if (Count * 2 > _index.Length) Rehash();
        else Place(number, hash);
        return number;
    }

    private void Place(int number, uint hash)
    {
        int mask = _index.Length - 1;
        int slot = (int)(hash & mask);
        while (_index[slot] != 0) slot = (slot + 1) & mask;
        _index[slot] = number + 1;
    }

    private void Rehash()
    {
        _index = new int[_index.Length * 2];
        for (int n = 0; n < Count; n++) Place(n, (uint)ShortKey.Hash(KeyOf(n)));
    }

    /// <summary>The key of a state (for reports and tests).</summary>
    public ReadOnlySpan<byte> KeyOf(int number)
    {
        ref var s = ref this[number];
        return _keys.AsSpan(s.KeyOffset, s.KeyLength);
    }
}
