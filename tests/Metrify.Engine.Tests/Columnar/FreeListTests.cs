using Metrify.Engine.Columnar;

namespace Metrify.Engine.Tests.Columnar;

public class FreeListTests
{
    private const long Idle = FreeList<object>.IdleMilliseconds;

    [Fact]
    public void The_last_returned_is_taken_first_and_no_more_than_the_limit_is_kept()
    {
        var list = new FreeList<string>(2);
        Assert.True(list.Return("a", 0));
        Assert.True(list.Return("b", 1));
        Assert.False(list.Return("c", 2)); // full: the caller lets it go
        Assert.True(list.TryTake(out var first));
        Assert.Equal("b", first);
        Assert.True(list.Return("d", 3));
        Assert.True(list.TryTake(out var second));
        Assert.Equal("d", second);
        Assert.True(list.TryTake(out var third));
        Assert.Equal("a", third);
        Assert.False(list.TryTake(out _));
    }

    [Fact]
    public void What_lay_unused_past_the_idle_time_is_released_while_what_is_in_use_stays()
    {
        var released = new List<string>();
        var list = new FreeList<string>(8, released.Add);
        list.Return("burst-1", 0);
        list.Return("burst-2", 0);
        list.Return("steady", 0);
        // From here on one item is in steady use: taken and returned, always from the top.
        for (long now = 1_000; now <= 3 * Idle; now += 1_000)
        {
            Assert.True(list.TryTake(out var item));
            Assert.Equal("steady", item);
            list.Return(item, now);
        }
        Assert.Equal(["burst-1", "burst-2"], released);
        Assert.Equal(1, list.Count);
    }

    [Fact]
    public void Items_used_within_the_idle_time_are_all_kept()
    {
        var released = new List<string>();
        var list = new FreeList<string>(8, released.Add);
        list.Return("a", 0);
        list.Return("b", 0);
        for (long now = 1_000; now <= 3 * Idle; now += Idle / 2)
        {
            // Both are needed at once every half idle time: neither may go.
            Assert.True(list.TryTake(out var x));
            Assert.True(list.TryTake(out var y));
            list.Return(y, now);
            list.Return(x, now);
        }
        Assert.Empty(released);
        Assert.Equal(2, list.Count);
    }
}
