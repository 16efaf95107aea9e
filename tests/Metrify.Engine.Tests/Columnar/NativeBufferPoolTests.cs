using Metrify.Engine.Columnar;

namespace Metrify.Engine.Tests.Columnar;

public class NativeBufferPoolTests
{
    [Fact]
    public void Returned_buffers_are_reused_up_to_the_retained_bytes_and_counted()
    {
        var pool = new NativeBufferPool(maxRetainedBytes: 16 << 10);
        var a = pool.Rent(5_000); // an 8 KiB class
        var b = pool.Rent(8 << 10);
        var c = pool.Rent(8 << 10);
        Assert.Equal(8 << 10, a.Length);
        pool.Return(a);
        pool.Return(b);
        pool.Return(c); // past 16 KiB: freed, not kept
        Assert.Equal(16 << 10, pool.RetainedBytes);
        var again = pool.Rent(6_000);
        Assert.Same(b, again); // the last kept is the first reused
        Assert.Equal(8 << 10, pool.RetainedBytes);
    }
}
