using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Metrify.Cli.Commands;

/// <summary>
/// Asks for a full collection once the large object heap has grown by <see cref="Growth"/> since the last one. The
/// daemon allocates little, so the collector's own budget can put off a full collection for many minutes, while
/// the large arrays its pools let go (they shrink to the recent demand) wait on that heap, which nothing else frees:
/// the resident set crept up by 5–10 MB a minute (docs/benchmarks.md). Blocking and not compacting: the heap is
/// mostly large arrays, so marking is short, and nothing is copied.
/// </summary>
internal sealed class LargeObjectHeapService(ILogger<LargeObjectHeapService> log) : BackgroundService
{
    internal const long Growth = 64L << 20;
    private const int LargeObjectHeap = 3; // GCMemoryInfo.GenerationInfo: gen0, gen1, gen2, LOH, POH

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var lastFull = GC.GetGCMemoryInfo(GCKind.FullBlocking);
                long since = lastFull.Index == 0 ? 0 : lastFull.GenerationInfo[LargeObjectHeap].SizeAfterBytes;
                long now = GC.GetGCMemoryInfo().GenerationInfo[LargeObjectHeap].SizeAfterBytes;
                if (now - since < Growth) continue;
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
                var after = GC.GetGCMemoryInfo(GCKind.FullBlocking);
                log.LogDebug("full collection: large object heap {Before:N0} -> {After:N0} bytes, paused {Pause} ms", now,
                    after.GenerationInfo[LargeObjectHeap].SizeAfterBytes, after.PauseDurations[0].TotalMilliseconds);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
