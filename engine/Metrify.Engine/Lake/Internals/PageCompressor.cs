using ZstdSharp;

namespace Metrify.Engine.Lake.Internals;

/// <summary>Compresses page bodies with one reused zstd context (or not at all).</summary>
internal sealed class PageCompressor : IDisposable
{
    private readonly Compressor? _zstd;

    public PageCompressor(LakeCompression compression, int level)
    {
        Compression = compression;
        if (compression == LakeCompression.Zstd) _zstd = new Compressor(level);
        else if (compression != LakeCompression.None)
            throw new ArgumentOutOfRangeException(nameof(compression), compression, "The Metrify encoder writes zstd or uncompressed pages.");
    }

    public LakeCompression Compression { get; }
    public int Level => _zstd?.Level ?? 0;

    /// <summary>Parquet's codec id: ZSTD = 6, UNCOMPRESSED = 0.</summary>
    public int Codec => Compression == LakeCompression.Zstd ? 6 : 0;

    public ReadOnlySpan<byte> Compress(ReadOnlySpan<byte> body, ByteSink scratch)
    {
        if (_zstd is null) return body;
        scratch.Clear();
        var target = scratch.GetSpan(Compressor.GetCompressBound(body.Length));
        int written = _zstd.Wrap(body, target);
        scratch.Advance(written);
        return scratch.Written;
    }

    public void Dispose() => _zstd?.Dispose();
}
