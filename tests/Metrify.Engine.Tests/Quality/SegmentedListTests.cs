using Metrify.Engine.Quality;

namespace Metrify.Engine.Tests.Quality;

public class SegmentedListTests
{
    [Fact]
    public void Runs_stay_whole_across_segments_and_read_back()
    {
        var list = new SegmentedList<IntervalAggregate>(); // 1024 per 64 KB segment
        var starts = new List<int>();
        for (int meter = 0; meter < 500; meter++)
        {
            var run = Enumerable.Range(0, 9).Select(i => new IntervalAggregate { Start = meter * 100 + i, Count = i }).ToArray();
            starts.Add(list.AddRun(run));
        }
        for (int meter = 0; meter < 500; meter++)
        {
            var run = list.Run(starts[meter], 9);
            Assert.Equal(Enumerable.Range(0, 9).Select(i => (long)(meter * 100 + i)), run.ToArray().Select(a => a.Start));
            Assert.True(starts[meter] / 1024 == (starts[meter] + 8) / 1024, "a run never straddles two segments");
        }
        Assert.True(list.Count > 500 * 9, "runs that would straddle start a fresh segment");
        list.Clear();
        Assert.Equal(0, list.Count);
        list.Add(new IntervalAggregate { Start = 7 });
        Assert.Equal(7, list[0].Start);
    }
}
