using System.Runtime.CompilerServices;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Frames.Meter;

/// <summary>
/// Where decoded meter frames go: one <c>readings</c> row per frame, a <c>gas</c> row per M-Bus channel, a
/// <c>registers</c> row for every other value, and whole frames that fail to <c>quarantine</c>. Decoders call
/// <see cref="BeginFrame"/>, stage reading values, add register and gas rows, then <see cref="EndFrame"/>.
/// </summary>
public sealed class MeterFrameOutput
{
    public const long NoTime = long.MinValue;

    private static readonly TableSpec R = Tables.Readings;
    private static readonly int RMeter = R.IndexOf("meter_id"), RTime = R.IndexOf("reading_timestamp"),
        RTariff = R.IndexOf("tariff"), RFlags = R.QualityFlagsIndex;
    private static readonly TableSpec G = Tables.Registers;
    private static readonly int GMeter = G.IndexOf("meter_id"), GTime = G.IndexOf("reading_timestamp"), GObis = G.IndexOf("obis"),
        GIndex = G.IndexOf("value_index"), GValue = G.IndexOf("value"), GUnit = G.IndexOf("unit"), GText = G.IndexOf("text"),
        GValueTime = G.IndexOf("value_timestamp"), GStatus = G.IndexOf("status"), GFlags = G.QualityFlagsIndex;
    private static readonly TableSpec M = Tables.Gas;
    private static readonly int MMeter = M.IndexOf("meter_id"), MTime = M.IndexOf("reading_timestamp"), MChannel = M.IndexOf("channel"),
        MType = M.IndexOf("device_type"), MId = M.IndexOf("device_id"), MObis = M.IndexOf("obis"), MCapture = M.IndexOf("capture_timestamp"),
        MValue = M.IndexOf("value"), MUnit = M.IndexOf("unit"), MFlags = M.QualityFlagsIndex;

    private readonly TableAppender _readings, _registers, _gas;
    private readonly QuarantineCollector _quarantine;
    private readonly byte[] _meterId = new byte[128];
    private int _meterIdLength;
    private long _frameTime;
    private QualityFlags _frameFlags;
    private readonly double[] _staged = new double[R.Columns.Count];
    private ulong _stagedMask;
    private int _tariff = -1;

    public MeterFrameOutput(TableAppender readings, TableAppender registers, TableAppender gas, QuarantineCollector quarantine,
        long receivedAtMicros)
    {
        if (R.Columns.Count > 64) throw new InvalidOperationException("readings has more columns than the staging mask holds");
        _readings = readings;
        _registers = registers;
        _gas = gas;
        _quarantine = quarantine;
        ReceivedAt = receivedAtMicros;
    }

    public FrameStats Stats { get; } = new();

    /// <summary>When the source was received; the instant of frames without a usable clock until a good one is seen.</summary>
    public long ReceivedAt { get; }

    /// <summary>Instant of the last frame whose meter clock was good.</summary>
    public long LastGoodTimestamp { get; private set; } = NoTime;

    /// <summary>The instant for a frame without a usable clock: the last good frame time of the source, else its receive time.</summary>
    public long ContextTime => LastGoodTimestamp != NoTime ? LastGoodTimestamp : ReceivedAt;

    /// <summary>Starts a frame. <paramref name="timestamp"/> is <see cref="NoTime"/> when the frame has no usable clock
    /// (<paramref name="flags"/> then says why) and the context time is used.</summary>
    public void BeginFrame(ReadOnlySpan<byte> meterId, long timestamp, QualityFlags flags)
    {
        if (meterId.Length > _meterId.Length) meterId = meterId[.._meterId.Length];
        meterId.CopyTo(_meterId);
        _meterIdLength = meterId.Length;
        if (timestamp == NoTime) timestamp = ContextTime;
        else LastGoodTimestamp = timestamp;
        _frameTime = timestamp;
        _frameFlags = flags;
        _stagedMask = 0;
        _tariff = -1;
    }


    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void StageReading(int column, double value)
    {
        _staged[column] = value;
        _stagedMask |= 1UL << column;
    }

    public bool IsStaged(int column) => (_stagedMask & (1UL << column)) != 0;

    public void StageTariff(int tariff) => _tariff = tariff;

    /// <summary>Adds a registers row. <paramref name="text"/> and <paramref name="unit"/> are null when empty.</summary>
    public void AddRegister(ReadOnlySpan<byte> obis, int index, bool hasValue, double value, ReadOnlySpan<byte> unit,
        ReadOnlySpan<byte> text, bool hasText, long valueTime, bool hasStatus, long status, QualityFlags flags, long start, long end)
    {
        var b = _registers.Row.Writer; // one writer per row, its position in registers: see ColumnBatch.RowWriter
        b.SetBytes(GMeter, _meterId.AsSpan(0, _meterIdLength));
        b.SetInt64(GTime, _frameTime);
        b.SetBytes(GObis, obis);
        b.SetInt32(GIndex, index);
        if (hasValue) b.SetDouble(GValue, value);
        if (unit.IsEmpty) b.SetNull(GUnit); else b.SetBytes(GUnit, unit);
        if (hasText) b.SetBytes(GText, text); else b.SetNull(GText);
        if (valueTime != NoTime) b.SetInt64(GValueTime, valueTime);
        if (hasStatus) b.SetInt64(GStatus, status);
        b.SetInt32(GFlags, (int)(flags | _frameFlags));
        _registers.Commit(start, end);
        Stats.RegisterRows++;
    }

    public void AddGas(int channel, int deviceType, ReadOnlySpan<byte> deviceId, bool hasDeviceId, ReadOnlySpan<byte> obis,
        long captureTime, bool hasValue, double value, ReadOnlySpan<byte> unit, QualityFlags flags, long start, long end)
    {
        var b = _gas.Row.Writer;
        b.SetBytes(MMeter, _meterId.AsSpan(0, _meterIdLength));
        b.SetInt64(MTime, _frameTime);
        b.SetInt32(MChannel, channel);
        if (deviceType >= 0) b.SetInt32(MType, deviceType);
        if (hasDeviceId) b.SetBytes(MId, deviceId); else b.SetNull(MId);
        if (obis.IsEmpty) b.SetNull(MObis); else b.SetBytes(MObis, obis);
        if (captureTime != NoTime) b.SetInt64(MCapture, captureTime);
        if (hasValue) b.SetDouble(MValue, value);
        if (unit.IsEmpty) b.SetNull(MUnit); else b.SetBytes(MUnit, unit);
        b.SetInt32(MFlags, (int)(flags | _frameFlags));
        _gas.Commit(start, end);
        Stats.GasRows++;
    }

    /// <summary>Writes the frame's readings row and counts the frame as accepted.</summary>
    public void EndFrame(long start, long end)
    {
        var b = _readings.Row.Writer;
        b.SetBytes(RMeter, _meterId.AsSpan(0, _meterIdLength));
        b.SetInt64(RTime, _frameTime);
        ulong mask = _stagedMask;
        while (mask != 0)
        {
            int c = System.Numerics.BitOperations.TrailingZeroCount(mask);
            b.SetDouble(c, _staged[c]);
            mask &= mask - 1;
        }
        if (_tariff >= 0) b.SetInt32(RTariff, _tariff);
        b.SetInt32(RFlags, (int)_frameFlags);
        _readings.Commit(start, end);
        Stats.ReadingRows++;
        Stats.FramesAccepted++;
        Stats.BytesAccepted += end - start;
    }

    /// <summary>Sends a whole frame to quarantine (cold path).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    /// <param name="bytes">Bytes of input the frame spanned, when <paramref name="raw"/> is only its capped start.</param>
    public void Reject(long start, ReadOnlySpan<byte> raw, QuarantineReason reason, string detail, long lineNumber, long bytes = -1)
    {
        Stats.FramesQuarantined++;
        Stats.BytesQuarantined += bytes < 0 ? raw.Length : bytes;
        Stats.PerReason[(int)reason]++;
        _quarantine.Add(Tables.Readings.Name, lineNumber, start, reason, detail, raw, LastGoodTimestamp);
    }

    /// <summary>Hands on the last partial batches and the quarantine rows.</summary>
    /// <summary>Gives every batch being filled back to its pool (a chunk that is dropped).</summary>
    public void Abandon()
    {
        _readings.Abandon();
        _registers.Abandon();
        _gas.Abandon();
        _quarantine.Abandon();
    }

    public void Complete()
    {
        _readings.Complete();
        _registers.Complete();
        _gas.Complete();
        _quarantine.Flush(ContextTime);
    }
}
