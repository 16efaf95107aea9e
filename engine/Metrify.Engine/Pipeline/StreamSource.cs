using Metrify.Engine.Columnar;
using Metrify.Engine.Frames.Csv;

namespace Metrify.Engine.Pipeline;

/// <summary>
/// A replayable, positioned stream of messages (a Kafka partition): messages come in position order and the same
/// positions always hold the same bytes, so a chunk of them can be decoded again after a crash.
/// </summary>
/// <param name="Name">How quarantine rows and logs name it, e.g. <c>kafka://readings/3</c>.</param>
/// <param name="LedgerKey">Its folder in the lake's ledger, e.g. <c>kafka/readings/3</c>.</param>
/// <param name="FileStem">The start of its files' names, e.g. <c>readings+3</c> (then first and last position).</param>
/// <param name="Table">The table text formats decode into (meter frames fill readings, registers and gas).</param>
/// <param name="Format">What each message holds: JSON lines, CSV lines without header, or meter frames.</param>
/// <param name="Layout">For CSV: the fields of each line, in order.</param>
public sealed record StreamSource(string Name, string LedgerKey, string FileStem, TableSpec Table, InputFormat Format, CsvLayout? Layout = null)
{
    /// <summary>A CSV layout from column names (null: the table's input columns in schema order), or an error.</summary>
    public static CsvLayout CsvLayoutFor(TableSpec table, IReadOnlyList<string>? columns, byte separator = (byte)',')
    {
        var header = (columns ?? table.Columns.Where(c => c.Source == ColumnSource.Input).Select(c => c.Name).ToList())
            .Select(c => c.Trim().ToLowerInvariant()).ToArray();
        return CsvLayout.TryCreate(table, header, separator, out var error) ?? throw new OperatorException(error!);
    }
}
