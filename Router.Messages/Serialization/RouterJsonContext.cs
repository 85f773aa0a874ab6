using System.Text.Json.Serialization;
using Router.Messages.Cluster;
using Router.Messages.Configuration;
using Router.Messages.Delivery;
using Router.Messages.Health;
using Router.Messages.Queue;
using Router.Messages.Routing;

namespace Router.Messages.Serialization;

/// <summary>
/// Compile-time System.Text.Json metadata for every message that may cross a node boundary. A type
/// missing here cannot be serialized: the round-trip tests list every <see cref="IRouterProtocol"/>
/// type by reflection, so a new message without its line here fails them.
/// </summary>
[JsonSourceGenerationOptions(
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Envelope))]
[JsonSerializable(typeof(DeliveryJob))]
[JsonSerializable(typeof(DeliveryResult))]
[JsonSerializable(typeof(RecipientResult))]
[JsonSerializable(typeof(FailedRecipient))]
[JsonSerializable(typeof(RecipientsFailed))]
[JsonSerializable(typeof(RecipientsDelayed))]
[JsonSerializable(typeof(RecipientsDelivered))]
[JsonSerializable(typeof(DeliverJob))]
[JsonSerializable(typeof(DeliveryAttempted))]
[JsonSerializable(typeof(JobsReturned))]
[JsonSerializable(typeof(SubscribeFirewall))]
[JsonSerializable(typeof(FirewallStatus))]
[JsonSerializable(typeof(ConnectorStatus))]
[JsonSerializable(typeof(FirewallStateChanged))]
[JsonSerializable(typeof(FirewallCommand))]
[JsonSerializable(typeof(FirewallSnapshot))]
[JsonSerializable(typeof(GetFirewallSnapshot))]
[JsonSerializable(typeof(PeerFirewallTripped))]
[JsonSerializable(typeof(FirewallHealthEntry))]
[JsonSerializable(typeof(GetClusterHealthView))]
[JsonSerializable(typeof(ClusterHealthView))]
[JsonSerializable(typeof(ListQueue))]
[JsonSerializable(typeof(QueueEntry))]
[JsonSerializable(typeof(QueueListing))]
[JsonSerializable(typeof(RetryQueue))]
[JsonSerializable(typeof(SuspendConnector))]
[JsonSerializable(typeof(ResumeConnector))]
[JsonSerializable(typeof(HoldCommand))]
[JsonSerializable(typeof(RedirectFirewall))]
[JsonSerializable(typeof(CancelRedirect))]
[JsonSerializable(typeof(DeleteMessage))]
[JsonSerializable(typeof(QueueCommandDone))]
[JsonSerializable(typeof(MessageSpooled))]
[JsonSerializable(typeof(EnqueueJob))]
[JsonSerializable(typeof(JobReleased))]
[JsonSerializable(typeof(JobsHandedBack))]
[JsonSerializable(typeof(ConnectorLoad))]
[JsonSerializable(typeof(HandBackJobs))]
[JsonSerializable(typeof(ExplainRoute))]
[JsonSerializable(typeof(RouteExplanation))]
[JsonSerializable(typeof(AddressSpaceMatch))]
[JsonSerializable(typeof(RouteTierView))]
[JsonSerializable(typeof(GetConnectorStates))]
[JsonSerializable(typeof(ConnectorStates))]
[JsonSerializable(typeof(ConnectorState))]
[JsonSerializable(typeof(RoutingEvent))]
[JsonSerializable(typeof(PeerOffer))]
[JsonSerializable(typeof(PeerChunkRequest))]
[JsonSerializable(typeof(PeerChunk))]
[JsonSerializable(typeof(PeerStored))]
[JsonSerializable(typeof(PeerRefused))]
[JsonSerializable(typeof(LeaveNode))]
[JsonSerializable(typeof(LeaveStarted))]
[JsonSerializable(typeof(ReloadConfig))]
[JsonSerializable(typeof(ConfigReloadResult))]
[JsonSerializable(typeof(GetNodeStatus))]
[JsonSerializable(typeof(NodeStatus))]
[JsonSerializable(typeof(ListNodeQueue))]
[JsonSerializable(typeof(NodeQueueListing))]
[JsonSerializable(typeof(NodeQueueCommand))]
[JsonSerializable(typeof(NodeCommandResult))]
[JsonSerializable(typeof(ShowNodeMessage))]
[JsonSerializable(typeof(NodeMessageShown))]
[JsonSerializable(typeof(ExportNodeMessage))]
[JsonSerializable(typeof(NodeMessageChunk))]
[JsonSerializable(typeof(ShadowBatch))]
[JsonSerializable(typeof(ShadowBatchStored))]
// Shadow redundancy
[JsonSerializable(typeof(ShadowDiscard))]
[JsonSerializable(typeof(ShadowRetire))]
[JsonSerializable(typeof(ShadowRetired))]
[JsonSerializable(typeof(ShadowEndpointQuery))]
[JsonSerializable(typeof(ShadowEndpoint))]
internal sealed partial class RouterJsonContext : JsonSerializerContext;
