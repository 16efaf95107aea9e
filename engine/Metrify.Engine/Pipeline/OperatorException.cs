namespace Metrify.Engine.Pipeline;

/// <summary>
/// A mistake the operator must fix (a missing column, a bad setting, an unreadable path), as opposed to bad records,
/// which are quarantined. The message is one line that names what to fix; the CLI prints it and exits non-zero.
/// </summary>
public sealed class OperatorException(string message) : Exception(message);
