using System.Text.Json;

namespace Router.Actors.Observability.Tracking;

/// <summary>
/// Answers "what happened to this message" from the tracking log's files: every event of a queue id, or of the
/// queue ids received with a Message-ID, oldest first. Reads files the writer may still be appending to; a line
/// torn by a crash is skipped.
/// </summary>
internal static class TrackingLogSearch
{
    /// <summary>
    /// Every event of <paramref name="id"/> (a queue id, or a Message-ID with or without its angle brackets) in the
    /// log files of <paramref name="directory"/>.
    /// </summary>
    public static List<TrackingEvent> Find(string directory, string id, CancellationToken cancellationToken)
    {
        var bare = BareMessageId(id);
        // A pre-filter on the raw line; JSON would escape a quote or a backslash, so such an id is looked for in every line.
        var filterable = !bare.Any(c => c is '"' or '\\' || char.IsControl(c));
        var queueIds = new HashSet<string>(StringComparer.Ordinal) { id };
        var found = new List<TrackingEvent>();
        foreach (var (_, path) in TrackingLogFiles.List(directory))
        {
            cancellationToken.ThrowIfCancellationRequested();
            StreamReader reader;
            try
            {
                reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
            }
            catch (FileNotFoundException)
            {
                continue; // Rotated away meanwhile.
            }

            using (reader)
            {
                while (reader.ReadLine() is { } line)
                {
                    if (filterable && !line.Contains(bare, StringComparison.Ordinal) && !ContainsAny(line, queueIds))
                        continue;
                    TrackingEvent? entry;
                    try
                    {
                        entry = JsonSerializer.Deserialize(line, TrackingJsonContext.Default.TrackingEvent);
                    }
                    catch (JsonException)
                    {
                        continue; // A line torn by a crash, or not ours.
                    }

                    if (entry is null)
                        continue;
                    if (entry.Event == TrackingEventKind.Received && entry.MessageId is { } messageId && BareMessageId(messageId) == bare)
                        queueIds.Add(entry.QueueId);
                    if (queueIds.Contains(entry.QueueId))
                        found.Add(entry);
                }
            }
        }
        return found;
    }

    private static bool ContainsAny(string line, HashSet<string> values)
    {
        foreach (var value in values)
        {
            if (line.Contains(value, StringComparison.Ordinal))
                return true;
        }
        return false;
    }

    private static string BareMessageId(string id) => id.Trim().TrimStart('<').TrimEnd('>');
}
