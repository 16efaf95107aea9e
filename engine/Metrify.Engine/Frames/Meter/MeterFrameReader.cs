using System.Buffers;
using System.IO.Pipelines;

namespace Metrify.Engine.Frames.Meter;

/// <summary>
/// Reads one source of meter frames from a <see cref="PipeReader"/>: the framer finds frame bounds, the decoder of
/// the format turns each frame into rows. Frames are decoded in place from the pipe's buffer; only a frame that
/// straddles two buffer segments is copied (into a reused scratch array bounded by the frame size limit).
/// Every byte ends up accepted, quarantined or skipped, and <see cref="FrameStats"/> counts which.
/// </summary>
public sealed class MeterFrameReader
{
    private readonly MeterFrameFormat _format;
    private readonly MeterFrameOptions _options;
    private readonly MeterFrameOutput _output;
    private readonly P1TelegramDecoder _p1 = new();
    private readonly SmlFrameDecoder _sml;
    private readonly DlmsDecryptor? _dlms;
    private readonly byte[] _scratch;
    private long _offset;
    private long _line = 1;
    private bool _inGarbage; // the bytes skipped since the last frame held more than line ends and padding

    /// <param name="startOffset">Source offset of the first byte this reader sees (a stream read in chunks).</param>
    public MeterFrameReader(MeterFrameFormat format, MeterFrameOptions options, MeterFrameOutput output, long startOffset = 0)
    {
        _offset = startOffset;
        _format = format;
        _options = options;
        _output = output;
        _sml = new SmlFrameDecoder(options);
        if (format == MeterFrameFormat.EncryptedP1) _dlms = new DlmsDecryptor(options.Keys, options.MaxFrameBytes);
        _scratch = new byte[options.MaxFrameBytes * 2 + 64];
    }

    public FrameStats Stats => _output.Stats;

    /// <summary>Source offset of the next unread byte.</summary>
    public long Offset => _offset;

    /// <summary>Says where the next data starts when the source has gaps (messages laid out with a separator
    /// between them): positions of rows and quarantine rows stay those of the source.</summary>
    public void ContinueAt(long offset)
    {
        if (offset < _offset) throw new ArgumentOutOfRangeException(nameof(offset), $"{offset} is before the current offset {_offset}");
        _offset = offset;
    }

    /// <summary>Reads the pipe to its end.</summary>
    public async ValueTask ReadAsync(PipeReader reader, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            long consumed = Process(buffer, result.IsCompleted);
            reader.AdvanceTo(buffer.GetPosition(consumed), buffer.End);
            if (result.IsCompleted) break;
        }
        await reader.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Decodes the whole frames in <paramref name="buffer"/>; returns the bytes consumed. With
    /// <paramref name="isFinal"/> everything is consumed.</summary>
    public long Process(in ReadOnlySequence<byte> buffer, bool isFinal)
    {
        long total = 0;
        while (total < buffer.Length)
        {
            var rest = buffer.Slice(total);
            long n = rest.IsSingleSegment ? Process(rest.FirstSpan, isFinal) : Process(rest.FirstSpan, false);
            if (n == 0 && !rest.IsSingleSegment)
            {
                // The first segment ends inside a frame: join enough of the following ones to hold any frame.
                int take = (int)Math.Min(rest.Length, _scratch.Length);
                rest.Slice(0, take).CopyTo(_scratch);
                n = Process(_scratch.AsSpan(0, take), isFinal && take == rest.Length);
            }
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    /// <summary>Decodes the whole frames in <paramref name="data"/>, which continues the source where the last call
    /// stopped; returns the bytes consumed. With <paramref name="isFinal"/> everything is consumed.</summary>
    public int Process(ReadOnlySpan<byte> data, bool isFinal)
    {
        int pos = 0;
        int max = _options.MaxFrameBytes;
        while (pos < data.Length)
        {
            var rest = data[pos..];
            var scan = _format switch
            {
                MeterFrameFormat.P1 => _p1.FrameFromTemplate(rest, isFinal, max) ?? P1Framer.Scan(rest, isFinal, max),
                MeterFrameFormat.Sml => _sml.FrameFromTemplate(rest, max) ?? SmlFramer.Scan(rest, isFinal, max),
                _ => DlmsFramer.Scan(rest, isFinal, max),
            };
            if (scan.Kind == FrameScanKind.NeedMore) break;
            var item = rest[..scan.Length];
            long at = _offset + pos;
            if (scan.Kind != FrameScanKind.Skip) _inGarbage = false;
            switch (scan.Kind)
            {
                case FrameScanKind.Skip:
                    Skipped(item);
                    break;
                case FrameScanKind.Frame:
                    DecodeFrame(item, scan, at);
                    break;
                default:
                    _output.Reject(at, item.Length > max ? item[..max] : item, scan.Reason, BrokenDetail(scan.Reason), LineNumber, item.Length);
                    break;
            }
            if (_format == MeterFrameFormat.P1) _line += item.Count((byte)'\n');
            pos += scan.Length;
        }
        _offset += pos;
        return pos;
    }

    private long LineNumber => _format == MeterFrameFormat.P1 ? _line : 0;

    private void Skipped(ReadOnlySpan<byte> bytes)
    {
        _output.Stats.BytesSkipped += bytes.Length;
        // One run however the bytes arrive: a run cut by a read boundary is skipped in two pieces.
        if (!_inGarbage && bytes.IndexOfAnyExcept("\r\n\0"u8) >= 0)
        {
            _output.Stats.GarbageRuns++;
            _inGarbage = true;
        }
    }

    private void DecodeFrame(ReadOnlySpan<byte> frame, in FrameScan scan, long at)
    {
        int marker = scan.Marker;
        switch (_format)
        {
            case MeterFrameFormat.P1:
                _p1.Decode(frame, marker, at, _line, _output, matched: scan.Matched);
                break;
            case MeterFrameFormat.Sml:
                _sml.Decode(frame, marker, at, _output, scan.Escaped, scan.Matched);
                break;
            default:
                if (_dlms!.TryDecrypt(frame, marker, out var plain, out var reason, out var detail))
                {
                    // The GCM tag authenticates the telegram, so its inner CRC is not needed (and the published
                    // Luxembourg test vector's does not match).
                    int bang = FindBang(plain);
                    if (bang >= 0 && plain.Length > 0 && plain[0] == '/') _p1.Decode(plain, bang, at, 0, _output, frame.Length, skipCrc: true);
                    else _output.Reject(at, frame, QuarantineReason.MalformedFrame, "decrypted frame is not a P1 telegram", 0);
                }
                else _output.Reject(at, frame, reason, detail, 0);
                break;
        }
    }

    private static int FindBang(ReadOnlySpan<byte> telegram)
    {
        for (int from = 0; ;)
        {
            int k = telegram[from..].IndexOf((byte)'!');
            if (k < 0) return -1;
            k += from;
            if (k > 0 && telegram[k - 1] == '\n') return k;
            from = k + 1;
        }
    }

    private static string BrokenDetail(QuarantineReason reason) => reason switch
    {
        QuarantineReason.TruncatedFrame => "frame ends before its end marker (the next frame starts, or the input ends)",
        QuarantineReason.Oversized => "no end marker within Frames:MaxFrameBytes",
        _ => "unrecognised escape sequence in the frame",
    };

    /// <summary>Hands on the last batches. Call once, after the final block.</summary>
    public void Complete() => _output.Complete();
}
