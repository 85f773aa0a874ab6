using Router.Messages;
using Router.Messages.Cluster;
using Router.Messages.Configuration;
using Router.Messages.Delivery;
using Router.Messages.Health;
using Router.Messages.Queue;
using Router.Messages.Routing;

namespace Router.Tests.Serialization;

/// <summary>
/// One sample of every message that may cross a node boundary, every serialized property set to
/// something other than what a missing property would read back as, so a field the serializer
/// drops shows up in the round-trip test.
/// </summary>
internal static class MessageSamples
{
    private static readonly DateTimeOffset At = new(2026, 11, 28, 18, 30, 15, 123, TimeSpan.FromHours(1));

    /// <summary>A W3C trace context, as OpenTelemetry spans carry one from node to node.</summary>
    public const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    private static readonly Envelope Envelope = new("alice@example.org", ["bob@example.com", "carol@example.net"], At, "10.1.2.3", "mx.example.org")
    {
        EnvelopeId = "env-42",
        Return = "HDRS",
        RecipientOptions = [new RecipientNotify("SUCCESS,DELAY", "rfc822;bob@example.com"), new RecipientNotify("NEVER", "rfc822;carol@example.net")],
        Handovers = 1,
        Smtputf8 = true,
        TraceParent = TraceParent,
        EightBit = true,
        RequireTls = true,
    };

    private static readonly DeliveryJob Job = new("Q1A2B3", "alice@example.org", [0, 1], ["bob@example.com", "carol@example.net"], 4096, "*;1", 2)
    {
        AvoidConnector = "out-a",
        AvoidFirewall = "fw-a",
        FirewallFaults = 1,
        ReceivedAt = At,
        Deferrals = 3,
        DelayNoticeSent = true,
        Notify = ["SUCCESS", null],
        EnvelopeId = "env-42",
        Return = "FULL",
        Handovers = 1,
        Smtputf8 = true,
        Tls = RouteTls.Verify,
        TraceParent = TraceParent,
        EightBit = true,
        RequireTls = true,
    };

    private static readonly RecipientResult Result = new(1, 451, "4.7.1 try later");

    private static readonly DeliveryResult Delivery = new(AttemptOutcome.TransientRejection, [Result, new RecipientResult(2, 250, "2.0.0 ok")], "451 4.7.1 try later", true) { Hedged = true, HedgedCold = true };

    private static readonly FailedRecipient Failed = new(1, "5.1.1", "550 5.1.1 no such user", "fw-a.example.com") { Connector = "out-a" };

    private static readonly FirewallSnapshot Snapshot = new("fw-a", "node1", "tripped", At, 3, 1, 2, 5, 100, 7, "tripped by operator")
    {
        Capabilities = ["SMTPUTF8", "8BITMIME", "SIZE 1000"],
        Latencies = [new FirewallPhaseLatency("greeting", 20, 1.5, 4.25, 1012.5, true)],
        Hedged = 4,
        LastSuccess = At.AddMinutes(-1),
        LastTrip = At,
        Share = new FirewallShare(2, 6, 3)
        {
            MessageRate = "200/m",
            BudgetMessageRate = "600/m",
            ConnectionRate = "1.667/s",
            BudgetConnectionRate = "5/s",
        },
    };

    private static readonly FirewallHealthEntry HealthEntry = new("fw-a", "node1", "akka.tcp://router@127.0.0.1:4051", "tripped", At, 3, 1, 100, 7, "tripped by operator")
    {
        ConfigHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        RoutingHash = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
        LastSuccess = At.AddMinutes(-1),
        LastTrip = At,
    };

    private static readonly QueueEntry QueueEntry = new("Q1A2B3", "alice@example.org", ["bob@example.com"], "deferred", "out-a", At, 2);

    public static IReadOnlyDictionary<Type, object> All { get; } = new object[]
    {
        Envelope,
        Job,
        Delivery,
        Result,
        Failed,
        new RecipientsFailed("Q1A2B3", [Failed]) { Bounce = true, AllPending = Failed },
        new RecipientsDelayed("Q1A2B3", [Failed], At),
        new RecipientsDelivered("Q1A2B3", [0, 1]),
        new DeliverJob(Job),
        new DeliveryAttempted("fw-a", Job, Delivery),
        new JobsReturned("fw-a", [Job], "firewall tripped") { Reroute = true },
        new SubscribeFirewall("out-a"),
        new FirewallStatus("fw-a", "suspect", true, 4) { Offers = MailExtensions.Smtputf8 | MailExtensions.RequireTls, Weight = 3 },
        new ConnectorStatus("out-a", true)
        {
            Returned = [Job],
            Load = new ConnectorLoad(3, 17),
            Firewalls = [new FirewallOffer("fw-a", true, MailExtensions.EightBitMime), new FirewallOffer("fw-b", true, MailExtensions.Smtputf8)],
        },
        new FirewallStateChanged("fw-a", "node1", ["out-a", "out-b"], "healthy", "tripped", "3 failures", At, TimeSpan.FromSeconds(10)),
        new FirewallCommand("fw-a", FirewallAction.Drain),
        Snapshot,
        GetFirewallSnapshot.Instance,
        HealthEntry,
        GetClusterHealthView.Instance,
        new ClusterHealthView([HealthEntry], ["akka.tcp://router@127.0.0.1:4052"]),
        new ListQueue("out-a", "fw-a", "deferred", "alice@example.org"),
        QueueEntry,
        new QueueListing([QueueEntry]),
        new RetryQueue("Q1A2B3"),
        new SuspendConnector("out-a"),
        new HoldCommand(HoldTarget.Connector, "out-a", true),
        new ResumeConnector("out-a"),
        new RedirectFirewall("fw-a", "out-b"),
        new CancelRedirect("fw-a"),
        new DeleteMessage("Q1A2B3", true),
        new QueueCommandDone("retry", 3),
        new MessageSpooled("Q1A2B3", Envelope, 4096, [0, 1]) { Deferrals = 2, NextAttempt = At },
        new EnqueueJob(Job),
        new ConnectorLoad(3, 17),
        new JobReleased("out-a", Job, JobRelease.Deferred, Job with { Recipients = ["carol@example.net"], RecipientIndexes = [1] }, "451 try later",
            new ConnectorLoad(3, 17)) { FirewallId = "fw-a" },
        new JobsHandedBack("out-a", [Job], HandBackReason.FirewallRedirected, new ConnectorLoad(2, 9)) { RedirectTo = "out-b" },
        new HandBackJobs(HandBackReason.MessageDeleted, "out-b", "Q1A2B3"),
        new ExplainRoute("bob@partner.example") { Sender = "alice@corp.example", Size = 20_000_000 },
        new RouteExplanation("bob@partner.example", "partner.example", "no error",
            [new AddressSpaceMatch("partner", "partner.example", 1, 1)],
            [new RouteTierView(1, "partner.example", 1, [new ConnectorState("partner", "usable", 2, ["fw-a"], "out-b")])],
            "partner", "out-a", "partner takes the mail") { Rule = "most specific matching pattern: partner.example" },
        new AddressSpaceMatch("out-a", "*", 5, 2),
        new RouteTierView(2, "*", 5, [new ConnectorState("out-a", "down", 1, ["fw-a", "fw-b"], "out-c")]),
        GetConnectorStates.Instance,
        new ConnectorStates([new ConnectorState("out-a", "suspended", 3, ["fw-a"], "out-b")], new Dictionary<string, string> { ["fw-a"] = "out-b" }, 4),
        new ConnectorState("out-b", "usable", 7, ["fw-b"], "out-a"),
        new RoutingEvent("rerouted", "out-a", 2, "firewall tripped", At),
        new PeerOffer("t-1", TransferKind.Handover, "akka.tcp://router@10.0.0.1:4053#42", "0ABC", 120, 4096) { Inline = [1, 2, 3], TraceParent = TraceParent, ShadowHolder = "akka.tcp://router@10.0.0.2:4053", Recipients = [0, 2] },
        new PeerChunkRequest("t-1", 65536, 65536),
        new PeerChunk("t-1", 65536, [4, 5, 6]),
        new PeerStored("t-1", "0ABD"),
        new PeerRefused("t-1", "the spool is full"),
        new LeaveNode("operator via node2"),
        new LeaveStarted("akka.tcp://router@10.0.0.1:4053", 12, AlreadyLeaving: true),
        new ReloadConfig("operator via node2"),
        new ConfigReloadResult("node-1", "akka.tcp://router@10.0.0.1:4053", ConfigReloadOutcome.Refused,
            "router.spool.path: the spool is opened at start-up: a restart is needed to change it", "firewalls added fw-c", "ab12", DateTimeOffset.Parse("2026-12-03T23:00:00Z")),
        GetNodeStatus.Instance,
        new NodeStatus("node-2", "akka.tcp://router@10.0.0.2:4053", 42, 123_456, 12.5, 9.75, 10, "ab12", "cd34", At),
        new ListNodeQueue(new ListQueue("out-a", "fw-a", "held", "alice@example.org")),
        new NodeQueueListing("node-2", "akka.tcp://router@10.0.0.2:4053", [QueueEntry], "unknown connector 'out-x'"),
        new NodeQueueCommand("redirect", "fw-a", "out-b", true, "router cmd via node1"),
        new NodeCommandResult("node-2", "akka.tcp://router@10.0.0.2:4053", 404, "delete", 2, "no message 'Q1' in the queue"),
        new ShowNodeMessage("Q1"),
        new NodeMessageShown("node-2", "akka.tcp://router@10.0.0.2:4053", 200, "{\"queueId\":\"Q1\"}"),
        new ExportNodeMessage("Q1", 65536, 65536),
        new NodeMessageChunk("node-2", 200, [1, 2, 3], true),
        new PeerFirewallTripped("fw-a", "node1", "3 failures in a row: ConnectTimeout"),
        new ShadowDiscard("akka.tcp://router@10.0.0.1:4053#42", ["0ABC", "0ABD"]),
        new ShadowBatch("akka.tcp://router@10.0.0.1:4053#42", 7,
        [
            new ShadowCopy("0ABC", "{\"sender\":\"a@b.example\"}"u8.ToArray(), [13, 10, 0, 255, 46, 13, 10]) { TraceParent = TraceParent },
            new ShadowCopy("0ABD", [123, 125], [1]) { TraceParent = TraceParent },
        ]),
        new ShadowBatchStored(7, ["0ABD"], "the disk is full"),
        new ShadowRetire("akka.tcp://router@10.0.0.1:4053#42", "0ABC", [0, 2]),
        new ShadowRetired("akka.tcp://router@10.0.0.1:4053#42", "0ABC", [2]) { Error = "the shadow spool is closed" },
        ShadowEndpointQuery.Instance,
        new ShadowEndpoint(40531, "00112233445566778899AABBCCDDEEFF"),
    }.ToDictionary(m => m.GetType());
}
