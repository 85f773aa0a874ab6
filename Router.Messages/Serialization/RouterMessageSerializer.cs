using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Akka.Actor;
using Akka.Serialization;
using Router.Messages.Cluster;
using Router.Messages.Configuration;
using Router.Messages.Delivery;
using Router.Messages.Health;
using Router.Messages.Queue;
using Router.Messages.Routing;

namespace Router.Messages.Serialization;

/// <summary>
/// The one serializer of every <see cref="IRouterProtocol"/> message: System.Text.Json with
/// source-generated metadata (no reflection, no Newtonsoft, no Hyperion) and a short, stable
/// manifest per type. A manifest is part of the wire format: never reuse or change one; a
/// renamed type keeps its manifest. An unknown manifest (a newer node's message) is a
/// <see cref="SerializationException"/>, which Akka logs and drops, so mixed versions keep running.
/// </summary>
/// <remarks>
/// No message carries an <see cref="IActorRef"/> today. One that must (a reply-to beyond the
/// sender) needs a converter that writes <c>Akka.Serialization.Serialization.SerializedActorPath(ref)</c>
/// and reads with <c>system.Provider.ResolveActorRef(path)</c>; the <see cref="ExtendedActorSystem"/>
/// this serializer is built with is there for that.
/// </remarks>
public sealed class RouterMessageSerializer : SerializerWithStringManifest
{
    /// <summary>Serializer id on the wire; 0-100 are Akka's own.</summary>
    public const int Id = 2525;

    /// <summary>
    /// Binds the serializer to <see cref="IRouterProtocol"/>. Every node must load the same
    /// binding; the host adds it to the actor system's configuration.
    /// </summary>
    public const string Hocon = """
        akka.actor {
          serializers {
            router = "Router.Messages.Serialization.RouterMessageSerializer, Router.Messages"
          }
          serialization-bindings {
            "Router.Messages.IRouterProtocol, Router.Messages" = router
          }
          serialization-identifiers {
            "Router.Messages.Serialization.RouterMessageSerializer, Router.Messages" = 2525
          }
        }
        """;

    private static readonly IReadOnlyDictionary<Type, string> ManifestByType = new Dictionary<Type, string>
    {
        [typeof(Envelope)] = "env",
        [typeof(DeliveryJob)] = "job",
        [typeof(DeliveryResult)] = "dres",
        [typeof(RecipientResult)] = "rres",
        [typeof(FailedRecipient)] = "frcp",
        [typeof(RecipientsFailed)] = "rfail",
        [typeof(RecipientsDelayed)] = "rdly",
        [typeof(RecipientsDelivered)] = "rdlv",
        [typeof(DeliverJob)] = "dj",
        [typeof(DeliveryAttempted)] = "datt",
        [typeof(JobsReturned)] = "jret",
        [typeof(SubscribeFirewall)] = "fwsub",
        [typeof(FirewallStatus)] = "fwst",
        [typeof(ConnectorStatus)] = "cst",
        [typeof(FirewallStateChanged)] = "fwchg",
        [typeof(FirewallCommand)] = "fwcmd",
        [typeof(FirewallSnapshot)] = "fwsnap",
        [typeof(GetFirewallSnapshot)] = "fwget",
        [typeof(PeerFirewallTripped)] = "fwptrip",
        [typeof(FirewallHealthEntry)] = "hent",
        [typeof(GetClusterHealthView)] = "hget",
        [typeof(ClusterHealthView)] = "hview",
        [typeof(ListQueue)] = "qls",
        [typeof(QueueEntry)] = "qent",
        [typeof(QueueListing)] = "qlist",
        [typeof(RetryQueue)] = "qretry",
        [typeof(SuspendConnector)] = "csusp",
        [typeof(ResumeConnector)] = "cres",
        [typeof(HoldCommand)] = "hold",
        [typeof(RedirectFirewall)] = "fwredir",
        [typeof(CancelRedirect)] = "fwredx",
        [typeof(DeleteMessage)] = "qdel",
        [typeof(QueueCommandDone)] = "qdone",
        [typeof(MessageSpooled)] = "spooled",
        [typeof(EnqueueJob)] = "enq",
        [typeof(JobReleased)] = "jrls",
        [typeof(JobsHandedBack)] = "jhb",
        [typeof(ConnectorLoad)] = "cload",
        [typeof(HandBackJobs)] = "jhbq",
        [typeof(ExplainRoute)] = "rexp",
        [typeof(RouteExplanation)] = "rexpd",
        [typeof(AddressSpaceMatch)] = "asm",
        [typeof(RouteTierView)] = "rtier",
        [typeof(GetConnectorStates)] = "cstatesq",
        [typeof(ConnectorStates)] = "cstates",
        [typeof(ConnectorState)] = "cstate",
        [typeof(RoutingEvent)] = "revt",
        [typeof(PeerOffer)] = "poffer",
        [typeof(PeerChunkRequest)] = "pchreq",
        [typeof(PeerChunk)] = "pchunk",
        [typeof(PeerStored)] = "pstored",
        [typeof(PeerRefused)] = "prefused",
        [typeof(LeaveNode)] = "leave",
        [typeof(LeaveStarted)] = "leaving",
        // Shadow redundancy
        [typeof(ShadowDiscard)] = "sdiscard",
        [typeof(ShadowBatch)] = "sbatch",
        [typeof(ShadowBatchStored)] = "sbstored",
        [typeof(ShadowRetire)] = "sretire",
        [typeof(ShadowRetired)] = "sretired",
        [typeof(ShadowEndpointQuery)] = "sendptq",
        [typeof(ShadowEndpoint)] = "sendpt",
        // Configuration reload (router cmd config reload --all-nodes)
        [typeof(ReloadConfig)] = "cfgrld",
        [typeof(ConfigReloadResult)] = "cfgres",
        // Cluster-wide operator commands (router cmd queue, cluster show across nodes)
        [typeof(GetNodeStatus)] = "nstatq",
        [typeof(NodeStatus)] = "nstat",
        [typeof(ListNodeQueue)] = "nqls",
        [typeof(NodeQueueListing)] = "nqlist",
        [typeof(NodeQueueCommand)] = "nqcmd",
        [typeof(NodeCommandResult)] = "nqres",
        [typeof(ShowNodeMessage)] = "nmshow",
        [typeof(NodeMessageShown)] = "nmshown",
        [typeof(ExportNodeMessage)] = "nmexp",
        [typeof(NodeMessageChunk)] = "nmchunk",
    };

    private static readonly IReadOnlyDictionary<string, Type> TypeByManifest =
        ManifestByType.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    private static readonly RouterJsonContext Context = RouterJsonContext.Default;

    public RouterMessageSerializer(ExtendedActorSystem system)
        : base(system)
    {
    }

    public override int Identifier => Id;

    /// <summary>The types this serializer knows, with their manifests (for tests and diagnostics).</summary>
    public static IReadOnlyDictionary<Type, string> Manifests => ManifestByType;

    public override string Manifest(object o) =>
        ManifestByType.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new ArgumentException($"{o.GetType()} has no manifest in {nameof(RouterMessageSerializer)}; add one (and its JsonSerializable line)", nameof(o));

    public override byte[] ToBinary(object obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (obj is ShadowBatch batch)
            return ShadowBatchCodec.Encode(batch);
        return JsonSerializer.SerializeToUtf8Bytes(obj, TypeInfo(obj.GetType()));
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!TypeByManifest.TryGetValue(manifest, out var type))
            throw new SerializationException($"unknown router message manifest '{manifest}' (a newer node?)");
        if (type == typeof(ShadowBatch))
            return ShadowBatchCodec.Decode(bytes);
        try
        {
            return JsonSerializer.Deserialize(bytes, TypeInfo(type))
                ?? throw new SerializationException($"router message '{manifest}' deserialized to null");
        }
        catch (JsonException e)
        {
            throw new SerializationException($"router message '{manifest}' is malformed: {e.Message}", e);
        }
    }

    private static JsonTypeInfo TypeInfo(Type type) =>
        Context.GetTypeInfo(type) ?? throw new ArgumentException($"{type} is not in {nameof(RouterJsonContext)}", nameof(type));
}
