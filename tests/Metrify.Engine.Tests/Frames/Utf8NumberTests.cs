using System.Globalization;
using System.Text;
using Metrify.Engine.Frames.Text;

namespace Metrify.Engine.Tests.Frames;

public class Utf8NumberTests
{
    [Theory]
    [InlineData("0", 0.0)]
    [InlineData("1", 1.0)]
    [InlineData("-0.5", -0.5)]
    [InlineData("+2.25", 2.25)]
    [InlineData("230.1", 230.1)]
    [InlineData(".5", 0.5)]
    [InlineData("5.", 5.0)]
    [InlineData("1e3", 1000.0)]
    [InlineData("1.5E-2", 0.015)]
    [InlineData("0.000000000000000000123", 1.23e-19)]
    [InlineData("123456789012345678901234", 1.2345678901234568e23)]
    public void Parses_decimal_text(string text, double expected)
    {
        Assert.True(Utf8Number.TryParseDouble(Encoding.UTF8.GetBytes(text), out double value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData(".")]
    [InlineData("1e")]
    [InlineData("abc")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1,5")]
    [InlineData("12.3.4")]
    [InlineData(" 1")]
    [InlineData("0x10")]
    public void Rejects_what_is_not_a_finite_decimal(string text)
    {
        Assert.False(Utf8Number.TryParseDouble(Encoding.UTF8.GetBytes(text), out _));
    }

    [Fact]
    public void Matches_the_BCL_on_random_decimals()
    {
        var random = new Random(7);
        for (int i = 0; i < 200_000; i++)
        {
            int decimals = random.Next(0, 8);
            long scaled = random.NextInt64(-10_000_000_000, 10_000_000_000);
            string text = (scaled / Math.Pow(10, decimals)).ToString("F" + decimals, CultureInfo.InvariantCulture);
            Assert.True(Utf8Number.TryParseDouble(Encoding.UTF8.GetBytes(text), out double ours), text);
            Assert.Equal(double.Parse(text, CultureInfo.InvariantCulture), ours);
        }
    }

    [Fact]
    public void Short_texts_of_digits_points_and_signs_parse_as_the_BCL_does()
    {
        // Up to 9 bytes take a path without a loop; every short shape must be accepted or refused as the grammar
        // says, and give the BCL's value.
        var grammar = new System.Text.RegularExpressions.Regex(@"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$");
        var random = new Random(3);
        const string alphabet = "0123456789012345678901234567890123456789..-+e";
        for (int i = 0; i < 300_000; i++)
        {
            var chars = new char[random.Next(1, 11)];
            for (int k = 0; k < chars.Length; k++) chars[k] = alphabet[random.Next(alphabet.Length)];
            string text = new(chars);
            bool ok = Utf8Number.TryParseDouble(Encoding.UTF8.GetBytes(text), out double ours);
            bool expected = grammar.IsMatch(text) && double.IsFinite(double.Parse(text, CultureInfo.InvariantCulture));
            Assert.True(expected == ok, text);
            if (ok) Assert.Equal(double.Parse(text, CultureInfo.InvariantCulture), ours);
        }
    }

    [Theory]
    [InlineData("7", 7)]
    [InlineData("-12", -12)]
    [InlineData("2147483647", int.MaxValue)]
    public void Parses_int32(string text, int expected)
    {
        Assert.True(Utf8Number.TryParseInt32(Encoding.UTF8.GetBytes(text), out int value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("2147483648")]
    [InlineData("1.0")]
    [InlineData("")]
    [InlineData("-")]
    public void Rejects_bad_int32(string text) => Assert.False(Utf8Number.TryParseInt32(Encoding.UTF8.GetBytes(text), out _));
}
