using Apache.Arrow;
using Metrify.Engine.Columnar;
using Parquet;
using Parquet.Schema;
using Array = System.Array;

namespace Metrify.Engine.Lake;

/// <summary>
/// The fully managed Parquet.Net writer. Parquet.Net takes a row group a column at a time as .NET arrays, so rows
/// are gathered into per-column arrays until a row group is full. Timestamps are INT64 microseconds, UTC.
/// </summary>
public sealed class ParquetNetEncoder : IParquetEncoder
{
    private readonly FileStream _stream;
    private readonly ParquetWriter _writer;
    private readonly TableSpec _table;
    private readonly DataField[] _fields;
    private readonly Array[] _pending;
    private readonly int _rowGroupRows;
    private int _pendingRows;
    private bool _closed;

    public ParquetNetEncoder(string path, TableSpec table, LakeOptions options, IReadOnlyDictionary<string, string> metadata)
    {
        _table = table;
        _rowGroupRows = options.RowGroupRows;
        _fields = new DataField[table.Columns.Count];
        _pending = new Array[table.Columns.Count];
        for (int c = 0; c < _fields.Length; c++)
        {
            var spec = table.Columns[c];
            _fields[c] = spec.Kind switch
            {
                ColumnKind.TimestampMicros => new DateTimeDataField(spec.Name, DateTimeFormat.Timestamp, isAdjustedToUTC: true,
                    unit: DateTimeTimeUnit.Micros, isNullable: spec.Nullable),
                ColumnKind.Float64 => new DataField(spec.Name, typeof(double), spec.Nullable),
                ColumnKind.Int32 => new DataField(spec.Name, typeof(int), spec.Nullable),
                ColumnKind.Int64 => new DataField(spec.Name, typeof(long), spec.Nullable),
                ColumnKind.Utf8 => new DataField(spec.Name, typeof(string), spec.Nullable),
                _ => new DataField(spec.Name, typeof(byte[]), spec.Nullable),
            };
            _pending[c] = NewColumn(spec, Math.Min(_rowGroupRows, 65_536));
        }
        var parquetOptions = new ParquetOptions
        {
            CompressionMethod = options.Compression switch
            {
                LakeCompression.Zstd => CompressionMethod.Zstd,
                LakeCompression.Snappy => CompressionMethod.Snappy,
                LakeCompression.Lz4 => CompressionMethod.Lz4Raw,
                LakeCompression.Gzip => CompressionMethod.Gzip,
                _ => CompressionMethod.None,
            },
            // Parquet.Net maps the BCL's levels onto the codec; Fastest is the cheap end, Optimal the codec's default.
            CompressionLevel = options.CompressionLevel <= 1 ? System.IO.Compression.CompressionLevel.Fastest
                : options.CompressionLevel >= 10 ? System.IO.Compression.CompressionLevel.SmallestSize
                : System.IO.Compression.CompressionLevel.Optimal,
        };
        _stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        _writer = ParquetWriter.CreateAsync(new ParquetSchema(_fields), _stream, parquetOptions).GetAwaiter().GetResult();
        var kv = new Dictionary<string, string>(table.ArrowSchema.Metadata);
        foreach (var (k, v) in metadata) kv[k] = v;
        _writer.CustomMetadata = kv;
    }

    public long BytesWritten => _stream.Length;

    private static Array NewColumn(ColumnSpec spec, int length) => spec.Kind switch
    {
        ColumnKind.TimestampMicros => spec.Nullable ? new DateTime?[length] : new DateTime[length],
        ColumnKind.Float64 => new double?[length],
        ColumnKind.Int32 => spec.Nullable ? new int?[length] : new int[length],
        ColumnKind.Int64 => spec.Nullable ? new long?[length] : new long[length],
        ColumnKind.Utf8 => new string?[length],
        _ => new byte[]?[length],
    };

    public void Write(RecordBatch batch)
    {
        int offset = 0;
        while (offset < batch.Length)
        {
            int take = Math.Min(batch.Length - offset, _rowGroupRows - _pendingRows);
            Append(batch, offset, take);
            offset += take;
            if (_pendingRows == _rowGroupRows) FlushRowGroup();
        }
    }

    private void Append(RecordBatch batch, int offset, int count)
    {
        for (int c = 0; c < _fields.Length; c++)
        {
            if (_pending[c].Length < _pendingRows + count)
            {
                var grown = NewColumn(_table.Columns[c], Math.Max(_pendingRows + count, _pending[c].Length * 2));
                Array.Copy(_pending[c], grown, _pendingRows);
                _pending[c] = grown;
            }
            var column = batch.Column(c);
            switch (_pending[c])
            {
                case double?[] d:
                    var da = (DoubleArray)column;
                    for (int i = 0; i < count; i++) d[_pendingRows + i] = da.GetValue(offset + i);
                    break;
                case DateTime?[] tn:
                    var tna = (TimestampArray)column;
                    for (int i = 0; i < count; i++)
                        tn[_pendingRows + i] = tna.IsNull(offset + i) ? null : ToDateTime(tna.Values[offset + i]);
                    break;
                case DateTime[] t:
                    var ta = (TimestampArray)column;
                    for (int i = 0; i < count; i++) t[_pendingRows + i] = ToDateTime(ta.Values[offset + i]);
                    break;
                case int?[] n32:
                    var n32a = (Int32Array)column;
                    for (int i = 0; i < count; i++) n32[_pendingRows + i] = n32a.GetValue(offset + i);
                    break;
                case int[] i32:
                    ((Int32Array)column).Values.Slice(offset, count).CopyTo(i32.AsSpan(_pendingRows));
                    break;
                case long?[] n64:
                    var n64a = (Int64Array)column;
                    for (int i = 0; i < count; i++) n64[_pendingRows + i] = n64a.GetValue(offset + i);
                    break;
                case long[] i64:
                    ((Int64Array)column).Values.Slice(offset, count).CopyTo(i64.AsSpan(_pendingRows));
                    break;
                case string?[] s:
                    var sa = (StringArray)column;
                    for (int i = 0; i < count; i++) s[_pendingRows + i] = sa.GetString(offset + i);
                    break;
                case byte[]?[] b:
                    var ba = (BinaryArray)column;
                    for (int i = 0; i < count; i++) b[_pendingRows + i] = ba.IsNull(offset + i) ? null : ba.GetBytes(offset + i).ToArray();
                    break;
            }
        }
        _pendingRows += count;
    }

    private static DateTime ToDateTime(long micros) => DateTime.UnixEpoch.AddTicks(micros * 10);

    private void FlushRowGroup()
    {
        if (_pendingRows == 0) return;
        using (var group = _writer.CreateRowGroup())
        {
            for (int c = 0; c < _fields.Length; c++)
            {
                var field = _fields[c];
                var task = _pending[c] switch
                {
                    double?[] d => group.WriteAsync(field, new ReadOnlyMemory<double?>(d, 0, _pendingRows)),
                    DateTime?[] tn => group.WriteAsync(field, new ReadOnlyMemory<DateTime?>(tn, 0, _pendingRows)),
                    DateTime[] t => group.WriteAsync(field, new ReadOnlyMemory<DateTime>(t, 0, _pendingRows)),
                    int?[] n32 => group.WriteAsync(field, new ReadOnlyMemory<int?>(n32, 0, _pendingRows)),
                    int[] i32 => group.WriteAsync(field, new ReadOnlyMemory<int>(i32, 0, _pendingRows)),
                    long?[] n64 => group.WriteAsync(field, new ReadOnlyMemory<long?>(n64, 0, _pendingRows)),
                    long[] i64 => group.WriteAsync(field, new ReadOnlyMemory<long>(i64, 0, _pendingRows)),
                    string?[] s => group.WriteAsync(field, new ArraySegment<string?>(s, 0, _pendingRows)!, null),
                    byte[]?[] b => group.WriteAsync(field, new ArraySegment<byte[]?>(b, 0, _pendingRows)!, null),
                    _ => throw new InvalidOperationException(),
                };
                task.GetAwaiter().GetResult();
            }
            group.CompleteValidate();
        }
        for (int c = 0; c < _pending.Length; c++) Array.Clear(_pending[c], 0, _pendingRows);
        _pendingRows = 0;
    }

    public void Close()
    {
        if (_closed) return;
        _closed = true;
        FlushRowGroup();
        _writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _stream.Flush();
    }

    public void Dispose()
    {
        if (!_closed)
        {
            try { _writer.DisposeAsync().AsTask().GetAwaiter().GetResult(); } catch (IOException) { }
        }
        _stream.Dispose();
    }
}
