using Metrify.Engine.Columnar;

namespace Metrify.Engine.Frames;

/// <summary>Where decoders hand full batches. The sink owns the batch from then on and returns it to its pool.</summary>
public interface IBatchSink
{
    void Accept(ColumnBatch batch);
}
