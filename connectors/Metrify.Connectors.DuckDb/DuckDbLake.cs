using System.Data.Common;
using System.Globalization;
using DuckDB.NET.Data;
using Metrify.Engine.Columnar;
using Metrify.Engine.Lake;

namespace Metrify.Connectors.DuckDb;

/// <summary>A lake table as DuckDB sees it.</summary>
public sealed record TableSummary(string Table, long Rows, long Files, DateTime? First, DateTime? Last);

/// <summary>
/// DuckDB over the lake: an in-memory database with one view per table that has files, reading the Hive
/// partitions (<c>date</c>, <c>hour</c>) as columns so filters on them prune files. Extensions are never
/// downloaded: Parquet support is built into the bundled DuckDB.
/// </summary>
public sealed class DuckDbLake : IDisposable
{
    private readonly DuckDBConnection _connection;
    private readonly List<string> _views = new();

    public DuckDbLake(string lakeRoot)
    {
        Root = Path.GetFullPath(lakeRoot);
        _connection = new DuckDBConnection("DataSource=:memory:");
        _connection.Open();
        Execute("SET autoinstall_known_extensions = false; SET autoload_known_extensions = false;");
        try { Execute("SET TimeZone = 'UTC';"); }
        catch (DuckDBException) { } // without ICU, TIMESTAMPTZ already prints as UTC
        foreach (var table in Tables.All)
        {
            if (!HasFiles(table.Name)) continue;
            Execute($"CREATE VIEW {table.Name} AS SELECT * FROM read_parquet({Literal(Glob(table.Name))}, hive_partitioning = true, union_by_name = true)");
            _views.Add(table.Name);
        }
    }

    public string Root { get; }

    /// <summary>Tables that have at least one file, in <see cref="Tables.All"/> order.</summary>
    public IReadOnlyList<string> Views => _views;

    public string Glob(string table) => LakePaths.FileGlob(Path.Combine(Root, table),
        Tables.Find(table) ?? throw new ArgumentException($"No table {table}.", nameof(table)));

    private bool HasFiles(string table)
    {
        var dir = Path.Combine(Root, table);
        return Directory.Exists(dir) && Directory.EnumerateFiles(dir, "*.parquet", SearchOption.AllDirectories).Any();
    }

    public static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    public void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Runs a query; the caller reads and disposes the reader.</summary>
    public DbDataReader Query(string sql)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteReader();
    }

    public T Scalar<T>(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        return (T)Convert.ChangeType(command.ExecuteScalar()!, typeof(T), CultureInfo.InvariantCulture);
    }

    /// <summary>Row count, file count and time range of every table that has files.</summary>
    public List<TableSummary> Summaries()
    {
        var result = new List<TableSummary>();
        foreach (var name in _views)
        {
            var spec = Tables.Find(name)!;
            var ts = spec.Columns[spec.PartitionColumnIndex].Name;
            using var reader = Query($"SELECT count(*), min({ts}), max({ts}), (SELECT count(*) FROM glob({Literal(Glob(name))})) FROM {name}");
            reader.Read();
            result.Add(new TableSummary(name, reader.GetInt64(0), reader.GetInt64(3),
                reader.IsDBNull(1) ? null : ToUtc(reader.GetValue(1)), reader.IsDBNull(2) ? null : ToUtc(reader.GetValue(2))));
        }
        return result;
    }

    private static DateTime ToUtc(object value) => value switch
    {
        DateTimeOffset o => o.UtcDateTime,
        DateTime d => DateTime.SpecifyKind(d, DateTimeKind.Utc),
        _ => throw new InvalidCastException(value.GetType().Name),
    };

    public void Dispose() => _connection.Dispose();
}
