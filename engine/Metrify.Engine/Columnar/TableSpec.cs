using Apache.Arrow;
using Apache.Arrow.Types;

namespace Metrify.Engine.Columnar;

/// <summary>Physical kinds of column the engine stores. Each maps to one Arrow type and one Parquet type.</summary>
public enum ColumnKind : byte
{
    Utf8,
    Binary,
    TimestampMicros,
    Float64,
    Int32,
    Int64,
}

/// <summary>Where a column's values come from.</summary>
public enum ColumnSource : byte
{
    /// <summary>Read from the input by header or property name.</summary>
    Input,
    /// <summary>Set by the engine (quality flags, lineage); an input column of that name is ignored.</summary>
    Engine,
}

public sealed record ColumnSpec(string Name, ColumnKind Kind, bool Nullable, string Unit, string Description,
    ColumnSource Source = ColumnSource.Input)
{
    public bool Required => !Nullable && Source == ColumnSource.Input;

    public IArrowType ArrowType => Kind switch
    {
        ColumnKind.Utf8 => StringType.Default,
        ColumnKind.Binary => BinaryType.Default,
        ColumnKind.TimestampMicros => new TimestampType(TimeUnit.Microsecond, "UTC"),
        ColumnKind.Float64 => DoubleType.Default,
        ColumnKind.Int32 => Int32Type.Default,
        ColumnKind.Int64 => Int64Type.Default,
        _ => throw new InvalidOperationException(Kind.ToString()),
    };
}

/// <summary>
/// One lake table: its columns in file order, the timestamp column that partitions it (by the hour, or by the day for
/// the aggregate tables), and the Arrow schema.
/// The column lists live in <see cref="Tables"/>; docs/schema.md documents the same lists (a test keeps them equal).
/// </summary>
public sealed class TableSpec
{
    public const string SchemaVersion = "1";

    public TableSpec(string name, string description, IReadOnlyList<ColumnSpec> columns, string partitionColumn, int partitionHours = 1)
    {
        if (partitionHours is not (1 or 24)) throw new ArgumentOutOfRangeException(nameof(partitionHours), "Tables are partitioned by the hour or by the day.");
        Name = name;
        PartitionHours = partitionHours;
        Ordinal = Interlocked.Increment(ref s_tables) - 1;
        Description = description;
        Columns = columns;
        PartitionColumnIndex = IndexOf(partitionColumn);
        if (PartitionColumnIndex < 0 || columns[PartitionColumnIndex].Kind != ColumnKind.TimestampMicros || columns[PartitionColumnIndex].Nullable)
            throw new ArgumentException($"Table {name}: the partition column must be a non-null timestamp.");
        QualityFlagsIndex = IndexOf("quality_flags");
        var fields = new List<Field>(columns.Count);
        foreach (var c in columns) fields.Add(new Field(c.Name, c.ArrowType, c.Nullable));
        ArrowSchema = new Schema(fields, new Dictionary<string, string>
        {
            ["metrify.table"] = name,
            ["metrify.schema_version"] = SchemaVersion,
        });
    }

    public string Name { get; }
    public string Description { get; }
    public IReadOnlyList<ColumnSpec> Columns { get; }
    public int PartitionColumnIndex { get; }
    private static int s_tables;

    /// <summary>A small number unique to this table in the process: an index for per-table arrays.</summary>
    public int Ordinal { get; }

    /// <summary>Hours per partition: 1 (<c>date=/hour=</c>) or 24 (<c>date=</c>).</summary>
    public int PartitionHours { get; }
    /// <summary>Index of <c>quality_flags</c>, or -1 for tables without one.</summary>
    public int QualityFlagsIndex { get; }
    public Schema ArrowSchema { get; }

    public int IndexOf(string columnName)
    {
        for (int i = 0; i < Columns.Count; i++)
            if (string.Equals(Columns[i].Name, columnName, StringComparison.Ordinal)) return i;
        return -1;
    }

    public override string ToString() => Name;
}
