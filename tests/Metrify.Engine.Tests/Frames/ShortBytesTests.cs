using Metrify.Engine.Frames.Text;

namespace Metrify.Engine.Tests.Frames;

public class ShortBytesTests
{
    [Fact]
    public void Matches_exactly_the_bytes_it_keeps_at_every_length_and_offset()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 20_000; trial++)
        {
            var kept = new byte[random.Next(0, ShortBytes.MaxLength + 1)];
            random.NextBytes(kept);
            var shortBytes = ShortBytes.Of(kept);
            // A text that holds the kept bytes at some offset, with one byte changed in a third of the trials.
            var text = new byte[kept.Length + random.Next(0, 40)];
            random.NextBytes(text);
            int at = random.Next(0, text.Length - kept.Length + 1);
            kept.CopyTo(text, at);
            if (kept.Length > 0 && trial % 3 == 0) text[at + random.Next(kept.Length)] ^= (byte)(1 + random.Next(255));
            bool expected = text.AsSpan(at, kept.Length).SequenceEqual(kept);
            Assert.Equal(expected, shortBytes.Matches(text, at));
            Assert.Equal(expected && text.Length == kept.Length, shortBytes.SameAs(text));
            // Bytes that would run past the end of the text never match.
            if (kept.Length > 0) Assert.False(shortBytes.Matches(text, text.Length - kept.Length + 1));
        }
    }
}
