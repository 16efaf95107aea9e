using System.Text;
using Metrify.Engine.Frames.Text;

namespace Metrify.Engine.Tests.Frames;

public class Utf8TimestampTests
{
    private static long Micros(DateTime utc) => (utc - DateTime.UnixEpoch).Ticks / 10;

    [Theory]
    [InlineData("2026-01-05T12:15:00Z")]
    [InlineData("2026-01-05T12:15:00.000Z")]
    [InlineData("2026-01-05T12:15:00.000000Z")]
    [InlineData("2026-01-05T13:15:00+01:00")]
    [InlineData("2026-01-05T13:15:00+0100")]
    [InlineData("2026-01-05T13:15:00+01")]
    [InlineData("2026-01-05T07:45:00-04:30")]
    [InlineData("2026-01-05 12:15:00Z")]
    [InlineData("2026-01-05T12:15:00")]
    [InlineData("2026-01-05T14:15:00.0+02:00")]
    public void Every_spelling_of_one_instant_is_the_same_instant(string text)
    {
        Assert.True(Utf8Timestamp.TryParseMicros(Encoding.UTF8.GetBytes(text), out long micros), text);
        Assert.Equal(Micros(new DateTime(2026, 1, 5, 12, 15, 0, DateTimeKind.Utc)), micros);
    }

    [Theory]
    [InlineData("2026-01-05T12:15:00.123456Z", 123456)]
    [InlineData("2026-01-05T12:15:00.1Z", 100000)]
    [InlineData("2026-01-05T12:15:00.123456789Z", 123456)]
    [InlineData("2026-01-05T12:15:00,5Z", 500000)]
    public void Fractions_are_exact_to_the_microsecond(string text, long fraction)
    {
        Assert.True(Utf8Timestamp.TryParseMicros(Encoding.UTF8.GetBytes(text), out long micros));
        Assert.Equal(Micros(new DateTime(2026, 1, 5, 12, 15, 0, DateTimeKind.Utc)) + fraction, micros);
    }

    [Theory]
    [InlineData("2026-02-30T00:00:00Z")]
    [InlineData("2025-02-29T00:00:00Z")]
    [InlineData("2026-13-01T00:00:00Z")]
    [InlineData("2026-01-01T24:00:00Z")]
    [InlineData("2026-01-01T23:60:00Z")]
    [InlineData("2026-01-01T23:59:60Z")]
    [InlineData("2026-01-01")]
    [InlineData("2026-01-01T00:00:00ZZ")]
    [InlineData("2026-01-01T00:00:00+25:00")]
    [InlineData("2026-01-01T00:00:00.Z")]
    [InlineData("0000-01-01T00:00:00Z")]
    [InlineData("yesterday")]
    [InlineData("")]
    public void Rejects_impossible_or_malformed_instants(string text) =>
        Assert.False(Utf8Timestamp.TryParseMicros(Encoding.UTF8.GetBytes(text), out _));

    [Fact]
    public void Leap_day_of_a_leap_year_parses() =>
        Assert.True(Utf8Timestamp.TryParseMicros("2024-02-29T00:00:00Z"u8, out _));

    [Fact]
    public void Format_and_parse_round_trip_against_DateTime()
    {
        var random = new Random(3);
        Span<byte> buffer = stackalloc byte[32];
        for (int i = 0; i < 100_000; i++)
        {
            var instant = new DateTime(1971, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(random.NextInt64(0, 150L * 365 * TimeSpan.TicksPerDay) / 10 * 10);
            long micros = Micros(instant);
            int n = Utf8Timestamp.Format(micros, buffer);
            Assert.Equal(instant.ToString(micros % 1_000_000 == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'",
                System.Globalization.CultureInfo.InvariantCulture), Encoding.ASCII.GetString(buffer[..n]));
            Assert.True(Utf8Timestamp.TryParseMicros(buffer[..n], out long parsed));
            Assert.Equal(micros, parsed);
        }
    }
}
