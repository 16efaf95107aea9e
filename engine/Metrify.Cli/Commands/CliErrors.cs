using Metrify.Engine.Pipeline;

namespace Metrify.Cli.Commands;

/// <summary>Exit codes and the one-line error every failure becomes.</summary>
public static class CliErrors
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int OperatorError = 2;

    public static int Guard(TextWriter stderr, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (OperatorException e)
        {
            stderr.WriteLine($"metrify: error: {e.Message}");
            return OperatorError;
        }
        catch (Exception e) when (e.InnerException is OperatorException inner)
        {
            stderr.WriteLine($"metrify: error: {inner.Message}");
            return OperatorError;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The file system refused (lake not writable, disk full): one line, no stack trace, nothing published.
            stderr.WriteLine($"metrify: error: {e.Message.Split('\n')[0]} (check Lake:Root and free space)");
            return Failed;
        }
    }
}
