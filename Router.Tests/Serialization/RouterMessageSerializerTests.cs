using System.Collections;
using System.Runtime.Serialization;
using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using Router.Messages;
using Router.Messages.Serialization;

namespace Router.Tests.Serialization;

/// <summary>
/// Every <see cref="IRouterProtocol"/> type, found by reflection, goes through Akka's serialization
/// as the host binds it and comes back equal. A new message type fails here until it has a sample,
/// a manifest and its line in the JSON context.
/// </summary>
public sealed class RouterMessageSerializerTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("serialization", ConfigurationFactory.ParseString(
        RouterMessageSerializer.Hocon + "\nakka.actor.serialization-settings.allow-unregistered-types = off"));

    public static TheoryData<Type> ProtocolTypes()
    {
        var data = new TheoryData<Type>();
        foreach (var type in typeof(IRouterProtocol).Assembly.GetTypes()
                     .Where(t => typeof(IRouterProtocol).IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false })
                     .OrderBy(t => t.FullName, StringComparer.Ordinal))
            data.Add(type);
        return data;
    }

    [Theory]
    [MemberData(nameof(ProtocolTypes))]
    public void Round_trips_through_the_router_serializer(Type type)
    {
        Assert.True(MessageSamples.All.TryGetValue(type, out var sample), $"{type.Name} has no sample in {nameof(MessageSamples)}");
        var serialization = _system.Serialization;

        var serializer = serialization.FindSerializerFor(sample);
        Assert.IsType<RouterMessageSerializer>(serializer);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, sample);
        var bytes = serializer.ToBinary(sample);
        var back = serialization.Deserialize(bytes, serializer.Identifier, manifest);

        Assert.IsType(type, back);
        AssertSame(sample, back, type.Name);
    }

    [Theory]
    [MemberData(nameof(ProtocolTypes))]
    public void Sample_sets_every_serialized_property(Type type)
    {
        // A property the wire drops reads back as it would from an empty object; the sample must
        // differ from that everywhere, or the round trip could not notice the loss.
        Assert.True(MessageSamples.All.TryGetValue(type, out var sample), $"{type.Name} has no sample in {nameof(MessageSamples)}");
        AssertFilled(sample, type.Name);
    }

    [Fact]
    public void A_firewall_command_names_its_action_in_lowercase_on_the_wire_as_before_it_was_an_enum()
    {
        var serializer = new RouterMessageSerializer((ExtendedActorSystem)_system);

        var json = System.Text.Encoding.UTF8.GetString(serializer.ToBinary(new Router.Messages.Health.FirewallCommand("fw-a", Router.Messages.Health.FirewallAction.Drain)));
        var fromOlderNode = serializer.FromBinary("""{"firewallId":"fw-a","action":"trip"}"""u8.ToArray(), "fwcmd");

        Assert.Equal("""{"firewallId":"fw-a","action":"drain"}""", json);
        Assert.Equal(new Router.Messages.Health.FirewallCommand("fw-a", Router.Messages.Health.FirewallAction.Trip), fromOlderNode);
    }

    [Fact]
    public void Manifests_are_short_and_distinct()
    {
        var manifests = RouterMessageSerializer.Manifests.Values.ToList();
        Assert.Equal(manifests.Count, manifests.Distinct(StringComparer.Ordinal).Count());
        Assert.All(manifests, m => Assert.InRange(m.Length, 1, 8));
    }

    [Fact]
    public void An_unknown_manifest_is_a_serialization_exception()
    {
        var serializer = (RouterMessageSerializer)_system.Serialization.FindSerializerForType(typeof(GetFirewallSnapshotProbe));
        Assert.Throws<SerializationException>(() => serializer.FromBinary("{}"u8.ToArray(), "no-such-message"));
    }

    [Fact]
    public void A_type_without_a_binding_cannot_be_serialized()
    {
        // Strict serialization, as cluster nodes run it: nothing falls back to the Newtonsoft default.
        Assert.ThrowsAny<Exception>(() => _system.Serialization.FindSerializerFor(new Unbound("x")));
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private sealed record Unbound(string Text);

    // Any IRouterProtocol type finds the router serializer, including one the serializer has never heard of.
    private sealed record GetFirewallSnapshotProbe : IRouterProtocol;

    private static void AssertSame(object? expected, object? actual, string path)
    {
        switch (expected)
        {
            case null:
                Assert.Null(actual);
                return;
            case string or ValueType:
                Assert.True(Equals(expected, actual), $"{path}: expected {expected}, got {actual ?? "null"}");
                return;
            case IEnumerable list:
                Assert.True(actual is IEnumerable, $"{path}: expected a list, got {actual}");
                var left = list.Cast<object?>().ToList();
                var right = ((IEnumerable)actual!).Cast<object?>().ToList();
                Assert.True(left.Count == right.Count, $"{path}: expected {left.Count} items, got {right.Count}");
                for (var i = 0; i < left.Count; i++)
                    AssertSame(left[i], right[i], $"{path}[{i}]");
                return;
            default:
                Assert.NotNull(actual);
                Assert.Equal(expected.GetType(), actual!.GetType());
                foreach (var property in expected.GetType().GetProperties(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public).Where(p => p.GetIndexParameters().Length == 0))
                    AssertSame(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
                return;
        }
    }

    private static void AssertFilled(object sample, string path)
    {
        var info = RouterJsonContext.Default.GetTypeInfo(sample.GetType());
        Assert.True(info is not null, $"{path}: {sample.GetType().Name} is not in {nameof(RouterJsonContext)}");
        var empty = JsonSerializer.Deserialize("{}", info!)!;
        // [JsonIgnore] properties are listed without a getter: they are not on the wire.
        foreach (var property in info!.Properties.Where(p => p.Get is not null))
        {
            var value = property.Get!(sample);
            var missing = property.Get(empty);
            Assert.False(Same(value, missing), $"{path}.{property.Name} reads back the same when absent from the wire; give the sample another value");
            foreach (var nested in Nested(value))
                AssertFilled(nested, $"{path}.{property.Name}");
        }
    }

    private static IEnumerable<object> Nested(object? value) => value switch
    {
        null or string or ValueType => [],
        IEnumerable list => list.Cast<object?>().SelectMany(Nested),
        _ when RouterJsonContext.Default.GetTypeInfo(value.GetType()) is not null => [value],
        _ => [],
    };

    private static bool Same(object? a, object? b)
    {
        if (a is null || b is null)
            return a is null && b is null;
        if (a is string || a is ValueType)
            return Equals(a, b);
        if (a is IEnumerable left && b is IEnumerable right)
            return left.Cast<object?>().SequenceEqual(right.Cast<object?>());
        return Equals(a, b);
    }
}
