using System.Text;
using Metrify.Engine.Columnar;

namespace Metrify.Engine.Tests.Frames;

/// <summary>Seeded random and mutated input: no exception, no hang, every byte accepted, quarantined or skipped.</summary>
public class DecoderFuzzTests
{
    private static readonly string ValidCsv = CsvDecoderTests.RandomCsv(new Random(1), 60);
    private static readonly string ValidJson = string.Concat(Enumerable.Range(0, 60).Select(i =>
        $"{{\"meter_id\":\"SM{i}\",\"reading_timestamp\":\"2026-01-05T00:{i % 60:D2}:00Z\",\"voltage_v\":{230 + i * 0.1:F1}}}\n"));

    private static byte[] Mutate(Random r, byte[] input)
    {
        var bytes = input.ToList();
        int edits = r.Next(1, 12);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = r.Next(bytes.Count);
            switch (r.Next(6))
            {
                case 0: bytes[at] ^= (byte)(1 << r.Next(8)); break;
                case 1: bytes.RemoveRange(at, Math.Min(r.Next(1, 40), bytes.Count - at)); break;
                case 2: { int from = r.Next(bytes.Count); bytes.InsertRange(at, bytes.GetRange(from, Math.Min(30, bytes.Count - from))); break; }
                case 3: bytes.Insert(at, (byte)"\"\n,{}:\r\\"[r.Next(8)]); break;
                case 4: bytes.RemoveRange(at, bytes.Count - at); break;
                default: bytes.InsertRange(at, Enumerable.Range(0, r.Next(1, 20)).Select(_ => (byte)r.Next(256))); break;
            }
        }
        return bytes.ToArray();
    }

    [Fact]
    public void Csv_decoder_survives_mutations()
    {
        var valid = Encoding.UTF8.GetBytes(ValidCsv);
        int header = Array.IndexOf(valid, (byte)'\n') + 1;
        for (int seed = 0; seed < 400; seed++)
        {
            var r = new Random(seed);
            var body = Mutate(r, valid[header..]);
            var input = valid[..header].Concat(body).ToArray();
            var d = DecodeHarness.Csv(input, chunk: r.Next(1, 300), maxRecordBytes: 1024);
            Assert.Equal(body.Length, d.Stats.BytesAccepted + d.Stats.BytesQuarantined + d.Stats.BytesSkipped);
            Assert.Equal(d.Rows.Count, d.Stats.Rows);
            Assert.Equal(d.Quarantine.Count, d.Stats.Quarantined);
        }
    }

    [Fact]
    public void Json_decoder_survives_mutations()
    {
        var valid = Encoding.UTF8.GetBytes(ValidJson);
        for (int seed = 0; seed < 400; seed++)
        {
            var r = new Random(seed);
            var input = Mutate(r, valid);
            var d = DecodeHarness.Run((pool, sink, q) => new Metrify.Engine.Frames.Json.JsonLinesDecoder(Tables.Readings, pool, sink, q, 1024),
                input, 0, Tables.Readings, r.Next(1, 300), 1024);
            Assert.Equal(input.Length, d.Stats.BytesAccepted + d.Stats.BytesQuarantined + d.Stats.BytesSkipped);
            Assert.Equal(d.Rows.Count, d.Stats.Rows);
        }
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var r = new Random(99);
        for (int i = 0; i < 300; i++)
        {
            var bytes = new byte[r.Next(0, 3000)];
            r.NextBytes(bytes);
            var csv = Encoding.UTF8.GetBytes("meter_id,reading_timestamp\n").Concat(bytes).ToArray();
            var d = DecodeHarness.Csv(csv, chunk: r.Next(1, 500), maxRecordBytes: 1024);
            Assert.Equal(bytes.Length, d.Stats.BytesAccepted + d.Stats.BytesQuarantined + d.Stats.BytesSkipped);
            var j = DecodeHarness.Run((pool, sink, q) => new Metrify.Engine.Frames.Json.JsonLinesDecoder(Tables.Readings, pool, sink, q, 1024),
                bytes, 0, Tables.Readings, r.Next(1, 500), 1024);
            Assert.Equal(bytes.Length, j.Stats.BytesAccepted + j.Stats.BytesQuarantined + j.Stats.BytesSkipped);
        }
    }
}
