using System.Text.Json.Serialization;

namespace Metrify.Engine.Simulation;

/// <summary>The manifest's JSON, generated at build time so that <c>metrify simulate</c> needs no reflection (the
/// native CLI has none to give). Every type a manifest value can have is listed.</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(Dictionary<string, object>))]
[JsonSerializable(typeof(Dictionary<string, double>))]
[JsonSerializable(typeof(Dictionary<string, long>))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(ulong))]
[JsonSerializable(typeof(int))]
internal sealed partial class ManifestJson : JsonSerializerContext;
