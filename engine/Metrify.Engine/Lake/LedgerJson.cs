using System.Text.Json.Serialization;

namespace Metrify.Engine.Lake;

/// <summary>The ledgers' JSON, generated at build time: reflection-based serialization built its metadata with
/// Reflection.Emit and the JIT in every ingest (~40 methods compiled at the end of a run, on one core).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(LedgerEntry))]
[JsonSerializable(typeof(ChunkEntry))]
internal sealed partial class LedgerJson : JsonSerializerContext;
