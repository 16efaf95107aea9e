using System.Globalization;
using Metrify.Engine.Frames.Text;

namespace Metrify.Engine.Lake;

/// <summary>
/// The lake's layout: <c>&lt;root&gt;/&lt;table&gt;/date=YYYY-MM-DD/hour=HH/&lt;source&gt;-&lt;first byte&gt;-&lt;last byte&gt;.parquet</c>
/// (the aggregate tables without <c>hour=HH</c>), Hive-style, so DuckDB, Snowflake external stages and dbt-duckdb read
/// it as it is.
/// </summary>
public static class LakePaths
{
    public const string MetadataFolder = "_metrify";

    /// <summary>Hours since the epoch (floor), the partition key of an instant.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static long HourOf(long micros) => micros >= 0 ? micros / Utf8Timestamp.MicrosPerHour
        : -((-micros + Utf8Timestamp.MicrosPerHour - 1) / Utf8Timestamp.MicrosPerHour);

    /// <summary>The partition key of an instant for a table: its hour, or the first hour of its day for a table
    /// partitioned by the day.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static long PartitionOf(long micros, int partitionHours)
    {
        long hour = HourOf(micros);
        return partitionHours == 1 ? hour : hour - ((hour % partitionHours) + partitionHours) % partitionHours;
    }

    /// <summary>The instants of a partition: [start, end) in UTC microseconds.</summary>
    public static (long Start, long End) PartitionRange(long hour, int partitionHours) =>
        (hour * Utf8Timestamp.MicrosPerHour, (hour + partitionHours) * Utf8Timestamp.MicrosPerHour);

    public static string PartitionPath(long hour, int partitionHours = 1)
    {
        var start = DateTime.UnixEpoch.AddHours(hour);
        return partitionHours == 1
            ? string.Create(CultureInfo.InvariantCulture, $"date={start:yyyy-MM-dd}/hour={start:HH}")
            : string.Create(CultureInfo.InvariantCulture, $"date={start:yyyy-MM-dd}");
    }

    public static string PartitionDirectory(string root, Columnar.TableSpec table, long hour) =>
        Path.Combine(root, table.Name, PartitionPath(hour, table.PartitionHours));

    /// <summary>A glob for every file of a table below <paramref name="tableDirectory"/>.</summary>
    public static string FileGlob(string tableDirectory, Columnar.TableSpec table) => table.PartitionHours == 1
        ? Path.Combine(tableDirectory, "*", "*", "*.parquet")
        : Path.Combine(tableDirectory, "*", "*.parquet");

    /// <summary>A file's name from the source it came from and the byte range of its rows in that source.</summary>
    public static string FileName(string sourceKey, long firstByte, long lastByte) =>
        string.Create(CultureInfo.InvariantCulture, $"{sourceKey}-{firstByte:D12}-{lastByte:D12}.parquet");

    public static string LedgerDirectory(string root) => Path.Combine(root, MetadataFolder, "ledger");

    /// <summary>A source's stable key: a readable stem and the content hash, e.g. <c>readings-3f2a...</c>.</summary>
    public static string SourceKey(string path, ulong contentHash)
    {
        var stem = Path.GetFileNameWithoutExtension(path);
        Span<char> clean = stackalloc char[Math.Min(stem.Length, 48)];
        for (int i = 0; i < clean.Length; i++)
        {
            char ch = stem[i];
            clean[i] = char.IsAsciiLetterOrDigit(ch) || ch is '_' or '.' ? ch : '_';
        }
        return string.Create(CultureInfo.InvariantCulture, $"{clean}-{contentHash:x16}");
    }
}
