namespace Metrify.Engine.Lake;

/// <summary>A finished Parquet file waiting under its temporary name to be published.</summary>
public sealed record WrittenFile(string Table, long Hour, string TempPath, long FirstByte, long LastByte, long Rows, long Bytes);
