using System.CommandLine;

namespace Router.Node.Cmd;

/// <summary>Issue 20's operator commands: holds (message, connector, all outbound mail) and message inspection.</summary>
public sealed partial class OperatorCommands
{
    private void AddHoldsAndInspection(Command queue)
    {
        foreach (var action in new[] { "hold", "release" })
        {
            var id = Required<string>("queue-id", "the message's queue id", $"queue {action} <queue-id>");
            var node = NodeOption("only this cluster member (default: the node holding the message)");
            var command = new Command(action, action == "hold"
                ? "keep a message from being sent until released (kept across restarts); in a cluster on the node that holds it"
                : "send a held message again; in a cluster on the node that holds it") { id, node };
            _calls[command] = r => new ApiCall("POST", ApiCall.WithQuery($"/api/queue/{ApiCall.Segment(r.GetValue(id)!)}/{action}", ("node", r.GetValue(node))), "result");
            queue.Add(command);
        }

        var showId = Required<string>("queue-id", "the message's queue id", "queue show <queue-id>");
        var show = new Command("show", "a queued message: envelope, headers, where its parts stand, its history") { showId };
        _calls[show] = r => new ApiCall("GET", $"/api/queue/{ApiCall.Segment(r.GetValue(showId)!)}", "message");
        queue.Add(show);

        var exportId = Required<string>("queue-id", "the message's queue id", "queue export <queue-id> --output <file>");
        var output = new Option<string>("--output") { Description = "the .eml file to write (the stored bytes, unchanged)", Required = true };
        var export = new Command("export", "a queued message's stored bytes as an .eml file") { exportId, output };
        _calls[export] = r => new ApiCall("GET", $"/api/queue/{ApiCall.Segment(r.GetValue(exportId)!)}/eml", "eml") { OutputFile = r.GetValue(output) };
        queue.Add(export);
    }

    private Command Connector()
    {
        var connector = new Command("connector", "hold or release one connector's mail");
        foreach (var action in new[] { "hold", "release" })
        {
            var target = Required<string>("connector", "the connector's id", $"connector {action} <connector>");
            target.CompletionSources.Add(_ => Connectors);
            var node = NodeOption("only this cluster member (default: every node)");
            var command = new Command(action, action == "hold"
                ? "its mail stays with it, unsent, and is not moved elsewhere (unlike queue suspend); kept across restarts; every node, or --node N's"
                : "its mail is sent again; every node, or --node N's") { target, node };
            _calls[command] = r => new ApiCall("POST", ApiCall.WithQuery($"/api/connectors/{ApiCall.Segment(r.GetValue(target)!)}/{action}",
                ("node", r.GetValue(node))), "result");
            connector.Add(command);
        }
        return connector;
    }

    private Command Outbound()
    {
        var outbound = new Command("outbound", "pause or resume all outbound mail (in a cluster: of every node, or --node N)");
        foreach (var action in new[] { "pause", "resume" })
        {
            var node = NodeOption("only this cluster member (default: every node)");
            var command = new Command(action, action == "pause"
                ? "nothing is sent until resumed; mail is still accepted until back pressure (kept across restarts)"
                : "outbound mail flows again") { node };
            _calls[command] = r => new ApiCall("POST", ApiCall.WithQuery($"/api/outbound/{action}", ("node", r.GetValue(node))), "result");
            outbound.Add(command);
        }
        return outbound;
    }
}
