namespace Metrify.Engine.Pipeline;

public enum InputFormat
{
    Csv,
    JsonLines,
}
