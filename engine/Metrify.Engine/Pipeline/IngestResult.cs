using Metrify.Engine.Columnar;
using Metrify.Engine.Frames;
using Metrify.Engine.Lake;

namespace Metrify.Engine.Pipeline;

/// <summary>What ingesting one source did.</summary>
public sealed class IngestResult
{
    public required string Path { get; init; }
    public long Bytes { get; init; }
    public InputFormat Format { get; init; }
    public TableSpec? Table { get; init; }
    /// <summary>Why the source was not ingested at all (not a recognised table), or null.</summary>
    public string? Skipped { get; init; }
    /// <summary>Skipped because this process ingested the same content before.</summary>
    public bool AlreadyIngested { get; init; }
    public DecodeStats Stats { get; init; } = new();
    /// <summary>Frame counters and the rows per table, for meter frame inputs (null for CSV and JSON lines).</summary>
    public Frames.Meter.FrameStats? Frames { get; init; }
    public IReadOnlyList<string> ExtraColumns { get; init; } = [];
    public IReadOnlyDictionary<QuarantineReason, string> FirstQuarantineDetails { get; init; } = new Dictionary<QuarantineReason, string>();
    public IReadOnlyList<PublishedFile> Files { get; init; } = [];
    public string SourceKey { get; init; } = "";
    public TimeSpan Elapsed { get; init; }
}
