using System.Diagnostics;
using System.Text;

namespace Metrify.Cli.Tests;

/// <summary>
/// <c>metrify run</c> as a separate process (the built <c>metrify.dll</c> beside the tests), so that tests can kill it
/// with SIGKILL as a crash, a power cut or the OOM killer would. Its output is kept for failure messages.
/// </summary>
public sealed class DaemonProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public DaemonProcess(string configFile, string workingDirectory)
    {
        var info = new ProcessStartInfo(CliRunner.Executable ?? "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (CliRunner.Executable is null) info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "metrify.dll"));
        info.ArgumentList.Add("run");
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(configFile);
        info.Environment["DOTNET_gcServer"] = "0";
        _process = new Process { StartInfo = info };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>SIGKILL: no flush, no commit, no clean-up.</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>Waits until the host has started (its sources run), at most <paramref name="limit"/>.</summary>
    public bool WaitUntilStarted(TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (!_process.HasExited && !Output.Contains("Application started", StringComparison.Ordinal))
        {
            if (clock.Elapsed > limit) return false;
            Thread.Sleep(20);
        }
        return !_process.HasExited;
    }

    /// <summary>SIGTERM, as a service manager stops a daemon, once it has started (before that, the runtime has not
    /// installed its handler and the signal kills it); returns the exit code.</summary>
    public int Terminate(TimeSpan wait)
    {
        WaitUntilStarted(wait);
        if (!_process.HasExited) SendSignal(_process.Id, 15);
        if (!_process.WaitForExit(wait)) throw new TimeoutException("the daemon did not stop on SIGTERM:\n" + Output);
        return _process.ExitCode;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
