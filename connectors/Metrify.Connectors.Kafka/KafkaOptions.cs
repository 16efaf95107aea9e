using Metrify.Engine.Columnar;
using Metrify.Engine.Pipeline;

namespace Metrify.Connectors.Kafka;

/// <summary>One topic the daemon consumes: the kind of data and the format of each message's value.</summary>
public sealed record KafkaTopicOptions
{
    public string Name { get; set; } = "";

    /// <summary>Table the records go to (<c>readings</c>, <c>grid_status</c>, <c>weather</c>); meter frames fill
    /// readings, registers and gas whatever this says.</summary>
    public string Table { get; set; } = "readings";

    /// <summary><c>jsonl</c> (JSON lines), <c>csv</c> (lines without header), <c>p1</c> (DSMR telegrams),
    /// <c>sml</c> (SML transport frames) or <c>p1-encrypted</c> (Luxembourg Smarty).</summary>
    public string Format { get; set; } = "jsonl";

    /// <summary>For <c>csv</c>: the fields of each line, in order (default: the table's columns in schema order).</summary>
    public string[]? Columns { get; set; }

    internal InputFormat InputFormat => Format.ToLowerInvariant() switch
    {
        "jsonl" or "json" or "jsonlines" => InputFormat.JsonLines,
        "csv" => InputFormat.Csv,
        "p1" => InputFormat.P1,
        "sml" => InputFormat.Sml,
        "p1-encrypted" or "smarty" => InputFormat.EncryptedP1,
        _ => throw new OperatorException($"Kafka:Topics: topic {Name}: Format must be jsonl, csv, p1, sml or p1-encrypted (is '{Format}')."),
    };

    internal TableSpec TableSpec => Tables.Decodable.FirstOrDefault(t => t.Name == Table)
        ?? throw new OperatorException($"Kafka:Topics: topic {Name}: Table must be readings, grid_status or weather (is '{Table}').");
}

/// <summary>The Kafka source of <c>metrify run</c> (the <c>Kafka</c> section).</summary>
public sealed record KafkaOptions
{
    /// <summary>Brokers as <c>host:port,host:port</c>. Empty: no Kafka source.</summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary>The consumer group. Daemons in one group share the topics' partitions.</summary>
    public string GroupId { get; set; } = "metrify";

    public KafkaTopicOptions[] Topics { get; set; } = [];

    /// <summary>A partition's open chunk is published (files, ledger entry, offset commit) when it is this old...</summary>
    public double RollSeconds { get; set; } = 10;

    /// <summary>... or has taken in this many bytes.</summary>
    public long RollBytes { get; set; } = 128L << 20;

    /// <summary>Consumers this daemon runs in the group, each on a thread of its own with the partitions Kafka gives
    /// it: decoding and checking a partition's messages is one thread's work, so one consumer keeps one core busy.
    /// More consumers than partitions leaves some idle. One by default: see docs/operations.md for what is known
    /// about several.</summary>
    public int Consumers { get; set; } = 1;

    /// <summary>librdkafka settings passed through as they are: <c>security.protocol</c>, <c>sasl.*</c>,
    /// <c>ssl.*</c>, <c>session.timeout.ms</c>, <c>group.instance.id</c>, ...</summary>
    public Dictionary<string, string> Properties { get; set; } = new();

    public bool Enabled => !string.IsNullOrWhiteSpace(BootstrapServers);

    public IEnumerable<string> Validate()
    {
        if (!Enabled)
        {
            if (Topics.Length > 0) yield return "Kafka:BootstrapServers must be set when Kafka:Topics are.";
            yield break;
        }
        if (Topics.Length == 0) yield return "Kafka:Topics must name at least one topic when Kafka:BootstrapServers is set.";
        if (string.IsNullOrWhiteSpace(GroupId)) yield return "Kafka:GroupId must not be empty.";
        foreach (var t in Topics)
        {
            string? problem = null;
            if (string.IsNullOrWhiteSpace(t.Name) || t.Name.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-')))
                problem = $"Kafka:Topics: '{t.Name}' is not a topic name (letters, digits, '.', '_', '-').";
            else
            {
                try
                {
                    _ = t.InputFormat;
                    var table = t.TableSpec;
                    if (t.InputFormat == InputFormat.Csv)
                    {
                        try { StreamSource.CsvLayoutFor(table, t.Columns); }
                        catch (OperatorException e) { problem = $"Kafka:Topics: topic {t.Name}: Columns: {e.Message}"; }
                    }
                }
                catch (OperatorException e)
                {
                    problem = e.Message;
                }
            }
            if (problem is not null) yield return problem;
        }
        if (Topics.Select(t => t.Name).Distinct().Count() != Topics.Length) yield return "Kafka:Topics: a topic is listed twice.";
        if (RollSeconds is < 0.1 or > 86400 || double.IsNaN(RollSeconds)) yield return $"Kafka:RollSeconds must be between 0.1 and 86400 (is {RollSeconds}).";
        if (Consumers is < 1 or > 64) yield return $"Kafka:Consumers must be between 1 and 64 (is {Consumers}).";
        if (RollBytes < 1 << 20) yield return $"Kafka:RollBytes must be at least 1048576 (is {RollBytes}).";
        foreach (var key in Properties.Keys.Where(k => k is "enable.auto.commit" or "enable.auto.offset.store" or "auto.commit.interval.ms" or "group.id" or "bootstrap.servers"))
            yield return $"Kafka:Properties: '{key}' is managed by Metrify (offsets are committed only after the lake has the data); remove it.";
    }

    /// <summary>The stream of one partition: its ledger folder and its files' names.</summary>
    internal StreamSource SourceFor(string topic, int partition)
    {
        var t = Topics.First(x => x.Name == topic);
        var table = t.TableSpec;
        var layout = t.InputFormat == InputFormat.Csv ? StreamSource.CsvLayoutFor(table, t.Columns) : null;
        return new StreamSource($"kafka://{topic}/{partition}", $"kafka/{topic}/{partition}", $"{topic}+{partition}", table, t.InputFormat, layout);
    }
}
