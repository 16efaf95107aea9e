using System.Diagnostics.Tracing;

namespace Metrify.Bench.Pipeline;

/// <summary>Samples allocations by type through the runtime's AllocationTick event (one event per ~100 KB allocated).</summary>
public sealed class AllocationSampler : EventListener
{
    public readonly Dictionary<string, long> BytesByType = new();
    private bool _on;

    public void Start() => _on = true;

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!_on || e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null) return;
        int typeIndex = e.PayloadNames!.IndexOf("TypeName");
        int amountIndex = e.PayloadNames.IndexOf("AllocationAmount64");
        var type = typeIndex >= 0 ? e.Payload[typeIndex]?.ToString() ?? "?" : "?";
        int sizeIndex = e.PayloadNames.IndexOf("ObjectSize");
        if (sizeIndex >= 0 && type.EndsWith("[]", StringComparison.Ordinal)) type += $" ({Convert.ToInt64(e.Payload[sizeIndex]):N0} B)";
        long amount = amountIndex >= 0 ? Convert.ToInt64(e.Payload[amountIndex]) : 100_000;
        lock (BytesByType) BytesByType[type] = BytesByType.GetValueOrDefault(type) + amount;
    }
}
