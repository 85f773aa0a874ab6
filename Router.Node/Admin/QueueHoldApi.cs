using System.Text;
using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Router.Actors.Configuration;
using Router.Actors.Observability.Tracking;
using Router.Actors.Spool;
using Router.Messages.Queue;

namespace Router.Node.Admin;

/// <summary>
/// The admin routes of issue 20's holds and message inspection: hold and release a message or a connector, pause
/// and resume outbound mail, show a queued message (envelope, headers, parts, history) and export its stored bytes.
/// Listed in <see cref="AdminApi.Routes"/> and README.md, "Operating the router".
/// </summary>
public static class QueueHoldApi
{
    public static readonly IReadOnlyList<string> Routes =
    [
        "POST /api/queue/{id}/hold|release?node=N",
        "POST /api/connectors/{id}/hold|release?node=N",
        "POST /api/outbound/pause|resume?node=N",
        "GET /api/queue/{id}",
        "GET /api/queue/{id}/eml",
    ];

    /// <summary>The most header bytes <c>queue show</c> returns.</summary>
    private const int MaxHeaderBytes = 64 * 1024;

    public static void Map(IEndpointRouteBuilder routes, IActorRef routing, ClusterOperations cluster, RouterOptions options, MessageSpool spool,
        MessageTrackingLog tracking)
    {
        // In a cluster the member whose spool holds the message holds or releases it (ClusterOperations).
        routes.MapPost("/api/queue/{id}/{action}", (string id, string action, string? node, CancellationToken ct) => action is "hold" or "release"
            ? cluster.CommandAsync(action, id, null, false, node, ct)
            : throw AdminException.NotFound($"no queue action '{action}' (hold, release)"));
        // In a cluster on every Up member, or ?node=N's (ClusterOperations), like suspend and resume.
        routes.MapPost("/api/connectors/{id}/{action}", (string id, string action, string? node, CancellationToken ct) => action is "hold" or "release"
            ? cluster.CommandAsync($"connector-{action}", id, null, false, node, ct)
            : throw AdminException.NotFound($"no connector action '{action}' (suspend, resume, hold, release)"));
        // In a cluster on every Up member, or ?node=N's (ClusterOperations): the cluster is one router to pause.
        routes.MapPost("/api/outbound/{action}", (string action, string? node, CancellationToken ct) => action is "pause" or "resume"
            ? cluster.CommandAsync($"outbound-{action}", null, null, false, node, ct)
            : throw AdminException.NotFound($"no outbound action '{action}' (pause, resume)"));
        // In a cluster the member whose spool holds the message shows it and gives its bytes (ClusterOperations).
        routes.MapGet("/api/queue/{id}", async (string id, CancellationToken ct) =>
            spool.Contains(id)
                ? Results.Json(await ShowLocalAsync(id, routing, spool, tracking, ct), AdminJson.Options)
                : Results.Content(await cluster.ShowElsewhereAsync(id, ct), "application/json"));
        routes.MapGet("/api/queue/{id}/eml", (string id, CancellationToken ct) =>
        {
            if (!spool.Contains(id))
                return cluster.ExportElsewhereAsync(id, ct);
            // The stored bytes as received (our Received: header first), byte for byte what the firewalls get. DATA
            // content is stored with the CRLF that ends its last line; a copy without it (BDAT content, or DATA stored
            // before the router kept that CRLF) gets it back on delivery, and so in the export.
            return Task.FromResult(Results.Stream(async output =>
            {
                await using var body = spool.OpenBody(id);
                var buffer = new byte[64 * 1024];
                var last = new byte[2];
                long total = 0;
                int read;
                while ((read = await body.ReadAsync(buffer)) > 0)
                {
                    await output.WriteAsync(buffer.AsMemory(0, read));
                    if (read >= 2)
                        buffer.AsSpan(read - 2, 2).CopyTo(last);
                    else
                        (last[0], last[1]) = (last[1], buffer[0]);
                    total += read;
                }
                if (total > 0 && !(last[0] == '\r' && last[1] == '\n'))
                    await output.WriteAsync("\r\n"u8.ToArray());
            }, "message/rfc822", $"{id}.eml"));
        });
    }

    /// <summary><c>queue show</c> of a message this node's spool holds (404 otherwise).</summary>
    public static async Task<MessageView> ShowLocalAsync(string id, IActorRef routing, MessageSpool spool, MessageTrackingLog tracking, CancellationToken ct)
    {
        var message = spool.Find(id) ?? throw AdminException.NotFound($"no message '{id}' in the queue");
        var listing = await routing.Ask<QueueListing>(new ListQueue(), NodeQueries.AskTimeout, ct);
        var history = tracking.Enabled ? await tracking.FindAsync(id, ct) : [];
        var envelope = message.Envelope;
        return new MessageView(id, envelope.Sender, envelope.Recipients,
            envelope.Recipients.Select((_, i) => message.PendingRecipients.Contains(i)).ToArray(),
            envelope.ReceivedAt, envelope.ClientAddress, envelope.ClientHelo, message.Length, envelope.Smtputf8, envelope.EnvelopeId, envelope.Return,
            Headers(spool, id), listing.Entries.Where(e => e.QueueId == id).ToArray(), history);
    }

    /// <summary>
    /// Up to <paramref name="length"/> bytes of a held message's stored data from <paramref name="offset"/>, for another
    /// member's export; the last chunk carries a final CRLF the stored copy lacks (as the local export adds it).
    /// </summary>
    public static async Task<(byte[] Data, bool End)> ChunkLocalAsync(MessageSpool spool, string id, long offset, int length, CancellationToken ct)
    {
        await using var body = spool.OpenBody(id);
        var size = body.Length;
        body.Seek(Math.Min(offset, size), SeekOrigin.Begin);
        var buffer = new byte[(int)Math.Clamp(size - offset, 0, length)];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await body.ReadAsync(buffer.AsMemory(read), ct)) > 0)
            read += n;
        var end = offset + read >= size;
        if (!end)
            return (buffer[..read], false);
        // The end: the CRLF that ends the last line, unless the data already ends with one.
        var tail = new byte[2];
        if (size >= 2)
        {
            body.Seek(size - 2, SeekOrigin.Begin);
            await body.ReadExactlyAsync(tail, ct);
        }
        return size > 0 && !(tail[0] == '\r' && tail[1] == '\n') ? ([.. buffer[..read], (byte)'\r', (byte)'\n'], true) : (buffer[..read], true);
    }

    /// <summary>The stored header section (up to the first empty line, at most 64 KiB), as text.</summary>
    private static string Headers(MessageSpool spool, string id)
    {
        using var body = spool.OpenBody(id);
        var buffer = new byte[MaxHeaderBytes];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = body.Read(buffer, read, buffer.Length - read)) > 0)
            read += n;
        var text = Encoding.UTF8.GetString(buffer, 0, read);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return end < 0 ? text : text[..(end + 2)];
    }
}

/// <summary><c>GET /api/queue/{id}</c>: one queued message.</summary>
/// <param name="Pending">Per recipient (same order): still to be delivered.</param>
/// <param name="Parts">Where its pending parts stand in the router (state, connector, next attempt).</param>
/// <param name="History">Its tracking events (empty when tracking is off).</param>
public sealed record MessageView(
    string QueueId,
    string Sender,
    IReadOnlyList<string> Recipients,
    IReadOnlyList<bool> Pending,
    DateTimeOffset ReceivedAt,
    string Client,
    string Helo,
    long Size,
    bool Smtputf8,
    string? EnvelopeId,
    string? Return,
    string Headers,
    IReadOnlyList<QueueEntry> Parts,
    IReadOnlyList<TrackingEvent> History);
