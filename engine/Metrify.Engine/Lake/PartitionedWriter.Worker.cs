using Metrify.Engine.Columnar;

namespace Metrify.Engine.Lake;

public sealed partial class PartitionedWriter
{
    /// <summary>
    /// One encoding thread and the partition files it has open. Files roll at <see cref="LakeOptions.TargetFileBytes"/>;
    /// beyond <c>maxOpenFiles</c> the least recently written file is closed (a later row of that hour opens a new one).
    /// </summary>
    private sealed class EncoderWorker : IDisposable
    {
        private readonly TableSpec _table;
        private readonly ColumnBatchPool _pool;
        private readonly LakeOptions _options;
        private readonly string _tempPrefix;
        private readonly int _maxOpenFiles;
        // A plain monitor queue, not a Channel: waking this dedicated thread must not need a thread-pool thread (a
        // channel completes its waiter there), or a busy pool stalls the encoders the decoder is waiting for.
        private readonly Queue<(long Hour, ColumnBatch Batch)> _queue = new();
        private bool _closed;
        private bool _finishing; // closed to complete: the thread closes its files before it ends
        private bool _returned;  // Complete handed the files on; until then Dispose deletes them
        private const int IdleJobs = 4;
        // Time-ordered input never comes back to an hour it left, so closing after IdleJobs keeps memory flat. Input
        // sorted by meter cycles through its hours; each time an hour closed as idle comes back, the patience doubles,
        // until the cycle fits and files stay open (at most Ingest:MaxOpenFiles) instead of churning.
        private long _idleAfter = IdleJobs;
        private readonly HashSet<long> _closedIdle = new();
        private readonly Dictionary<long, OpenFile> _open = new();
        private readonly List<WrittenFile> _done = new();
        private Thread? _thread; // started with the first batch: most quarantine writers never get one
        private Exception? _failure;
        private long _sequence;
        private long _tick;

        public EncoderWorker(TableSpec table, ColumnBatchPool pool, LakeOptions options, string tempPrefix, int maxOpenFiles)
        {
            _table = table;
            _pool = pool;
            _options = options;
            _tempPrefix = tempPrefix;
            _maxOpenFiles = maxOpenFiles;
        }

        public void Post(long hour, ColumnBatch batch)
        {
            if (_failure is not null) { _pool.Return(batch); Rethrow(); }
            if (_thread is null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = $"metrify-encode-{_table.Name}" };
                _thread.Start();
            }
            lock (_queue)
            {
                _queue.Enqueue((hour, batch));
                Monitor.Pulse(_queue);
            }
        }

        /// <summary>The next job, waiting for one; false once the queue is closed and empty.</summary>
        private bool Next(out (long Hour, ColumnBatch Batch) job)
        {
            lock (_queue)
            {
                while (_queue.Count == 0 && !_closed) Monitor.Wait(_queue);
                return _queue.TryDequeue(out job);
            }
        }

        private void Close()
        {
            lock (_queue)
            {
                _closed = true;
                Monitor.Pulse(_queue);
            }
        }

        /// <summary>No more batches: the thread encodes what is queued, then closes its files (their last row
        /// groups), while the caller goes on to finish other writers.</summary>
        public void BeginComplete()
        {
            lock (_queue)
            {
                _finishing = true;
                _closed = true;
                Monitor.Pulse(_queue);
            }
        }

        private void Run()
        {
            while (Next(out var job))
            {
                try
                {
                    if (_failure is null) Encode(job.Hour, job.Batch);
                }
                catch (Exception e)
                {
                    _failure ??= e;
                }
                finally
                {
                    _pool.Return(job.Batch);
                }
            }
            bool finishing;
            lock (_queue) finishing = _finishing;
            if (!finishing || _failure is not null) return;
            try
            {
                CloseAll();
            }
            catch (Exception e)
            {
                _failure ??= e;
            }
        }

        private void CloseAll()
        {
            foreach (var hour in _open.Keys.Order().ToList()) Close(hour, _open[hour]);
        }

        private void Encode(long hour, ColumnBatch batch)
        {
            if (!_open.TryGetValue(hour, out var file))
            {
                if (_closedIdle.Contains(hour)) _idleAfter = Math.Min(_idleAfter * 2, 1 << 16);
                if (_open.Count >= _maxOpenFiles) CloseLeastRecent();
                file = Open(hour);
                _open[hour] = file;
            }
            file.LastUse = ++_tick;
            using (var view = batch.ToRecordBatch()) file.Encoder.Write(view);
            var starts = batch.RowStarts;
            var ends = batch.RowEnds;
            for (int i = 0; i < starts.Length; i++)
            {
                if (starts[i] < file.FirstByte) file.FirstByte = starts[i];
                if (ends[i] > file.LastByte) file.LastByte = ends[i];
            }
            file.Rows += batch.Count;
            if (file.Encoder.BytesWritten >= _options.TargetFileBytes) Close(hour, file);
            CloseIdle();
        }

        /// <summary>
        /// An open file holds its row group in memory, so a partition that has had no rows for a while (in a
        /// time-ordered stream: an hour that is over) is closed. A late row for it opens a new file with its own
        /// byte range.
        /// </summary>
        private void CloseIdle()
        {
            if (_open.Count <= 1) return;
            List<long>? idle = null;
            foreach (var (hour, f) in _open)
                if (_tick - f.LastUse >= _idleAfter) (idle ??= new()).Add(hour);
            if (idle is null) return;
            idle.Sort();
            foreach (var hour in idle)
            {
                Close(hour, _open[hour]);
                _closedIdle.Add(hour);
            }
        }

        private OpenFile Open(long hour)
        {
            var dir = LakePaths.PartitionDirectory(_options.Root, _table, hour);
            Directory.CreateDirectory(dir);
            var temp = Path.Combine(dir, $".{_tempPrefix}-{++_sequence}.tmp");
            if (File.Exists(temp)) File.Delete(temp);
            var metadata = new Dictionary<string, string> { ["metrify.partition"] = LakePaths.PartitionPath(hour, _table.PartitionHours) };
            return new OpenFile(ParquetEncoders.Open(temp, _table, _options, metadata), temp);
        }

        private void CloseLeastRecent()
        {
            long victim = 0, oldest = long.MaxValue;
            foreach (var (hour, f) in _open)
                if (f.LastUse < oldest) { oldest = f.LastUse; victim = hour; }
            Close(victim, _open[victim]);
        }

        private void Close(long hour, OpenFile file)
        {
            _open.Remove(hour);
            file.Encoder.Close();
            long bytes = file.Encoder.BytesWritten;
            file.Encoder.Dispose();
            _done.Add(new WrittenFile(_table.Name, hour, file.TempPath, file.FirstByte, file.LastByte, file.Rows, bytes));
        }

        public List<WrittenFile> Complete()
        {
            BeginComplete();
            _thread?.Join();
            Rethrow();
            CloseAll(); // none left when the thread ran
            _returned = true;
            return _done;
        }

        private void Rethrow()
        {
            if (_failure is not null)
                throw new IOException($"Writing table {_table.Name} to {_options.Root} failed: {_failure.Message}", _failure);
        }

        public void Dispose()
        {
            Close();
            _thread?.Join();
            foreach (var f in _open.Values)
            {
                f.Encoder.Dispose();
                try { File.Delete(f.TempPath); } catch (IOException) { }
            }
            _open.Clear();
            // Files closed for a completion that was not collected (the input failed in between) are removed too.
            if (!_returned)
                foreach (var f in _done)
                    try { File.Delete(f.TempPath); } catch (IOException) { }
        }

        private sealed class OpenFile(IParquetEncoder encoder, string tempPath)
        {
            public IParquetEncoder Encoder { get; } = encoder;
            public string TempPath { get; } = tempPath;
            public long FirstByte = long.MaxValue;
            public long LastByte = long.MinValue;
            public long Rows;
            public long LastUse;
        }
    }
}
