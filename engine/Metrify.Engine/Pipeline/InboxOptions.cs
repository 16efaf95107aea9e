namespace Metrify.Engine.Pipeline;

/// <summary>The inbox source of <c>metrify run</c> (the <c>Inbox</c> section of metrify.json).</summary>
public sealed record InboxOptions
{
    /// <summary>Folder watched for input files; <c>done/</c> and <c>failed/</c> are made inside it.</summary>
    public string Path { get; set; } = "inbox";

    /// <summary>Seconds between scans. A file is taken once its size and modification time held still for one scan.</summary>
    public double PollSeconds { get; set; } = 1;

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Path)) yield return "Inbox:Path must name a folder.";
        if (PollSeconds is < 0.05 or > 3600 || double.IsNaN(PollSeconds)) yield return $"Inbox:PollSeconds must be between 0.05 and 3600 (is {PollSeconds}).";
    }
}
