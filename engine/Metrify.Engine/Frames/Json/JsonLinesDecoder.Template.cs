using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Metrify.Engine.Columnar;
using Metrify.Engine.Frames.Text;

namespace Metrify.Engine.Frames.Json;

public sealed partial class JsonLinesDecoder
{
    // A producer writes every line the same way: the same properties in the same order, spelled and spaced the same.
    // After a line the scanner accepted, the bytes between its values (`{"meter_id":`, `,"voltage_v":`, ..., `}`) are
    // kept, and the next line is first read against them: one comparison per property checks the punctuation, the
    // name and the spacing together, and the value is parsed knowing its column. Any difference, or any value that
    // is not a plain number, string or null, sends the line to the scanner, which starts over and learns the new
    // layout.
    private readonly TemplateStep[] _template = new TemplateStep[64];
    private int _templateSteps; // 0: no template
    private ShortBytes _templateEnd;
    // What the scanner saw of the line it is reading, to learn a template from once the line is accepted.
    private readonly int[] _seenColumn = new int[64];
    private readonly int[] _seenValueStart = new int[64];
    private readonly int[] _seenValueEnd = new int[64];

    private struct TemplateStep
    {
        public ShortBytes Before;
        public int Column;
        public ColumnKind Kind;
    }

    /// <summary>Reads the line against the template. False (with a partly written row) when it does not fit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryScanTemplate(ReadOnlySpan<byte> s, ref ulong set, ref long timestamp)
    {
        int i = 0;
        for (int p = 0; p < _templateSteps; p++)
        {
            ref readonly var step = ref _template[p];
            if (!step.Before.Matches(s, i)) return false;
            i += step.Before.Length;
            if (i >= s.Length) return false;
            int column = step.Column;
            byte first = s[i];
            if (first == (byte)'n')
            {
                if (i + 4 > s.Length || Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref MemoryMarshal.GetReference(s), i)) != NullWord
                    || !StoreEmpty(column, out _))
                    return false;
                i += 4;
            }
            else if (step.Kind == ColumnKind.Float64)
            {
                if (!TryNumber(s, i, out int end, out double number)) return false;
                Batch.SetDouble(column, number);
                set |= 1UL << column;
                i = end;
            }
            else
            {
                if (first != (byte)'"') return false;
                int length = StringEnd(s, i + 1);
                if (length < 0 || s[i + 1 + length] == (byte)'\\') return false;
                var text = s.Slice(i + 1, length);
                if (!StoreText(column, step.Kind, text, ref timestamp, out _)) return false;
                set |= text.IsEmpty && step.Kind != ColumnKind.Utf8 ? 0 : 1UL << column;
                i += length + 2;
            }
        }
        return i + _templateEnd.Length == s.Length && _templateEnd.Matches(s, i);
    }

    private static readonly uint NullWord = BitConverter.ToUInt32("null"u8);

    /// <summary>The scanner's view of one property: where its value starts and ends, and its column if the
    /// template could parse that value (a plain number, string or null), else -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void See(int property, int column, int valueStart, int valueEnd)
    {
        if ((uint)property >= (uint)_seenColumn.Length) return;
        _seenColumn[property] = column;
        _seenValueStart[property] = valueStart;
        _seenValueEnd[property] = valueEnd;
    }

    /// <summary>Keeps the layout of a line the scanner accepted, if the template can parse every one of its values.</summary>
    private void LearnTemplate(ReadOnlySpan<byte> s, int properties)
    {
        _templateSteps = 0;
        if (properties == 0 || properties > _template.Length) return;
        int previousEnd = 0;
        for (int p = 0; p < properties; p++)
        {
            int column = _seenColumn[p];
            int start = _seenValueStart[p];
            if (column < 0 || start - previousEnd > ShortBytes.MaxLength) return;
            _template[p] = new TemplateStep { Before = ShortBytes.Of(s[previousEnd..start]), Column = column, Kind = _kinds[column] };
            previousEnd = _seenValueEnd[p];
        }
        if (s.Length - previousEnd > ShortBytes.MaxLength) return;
        _templateEnd = ShortBytes.Of(s[previousEnd..]);
        _templateSteps = properties;
    }
}
