using Akka.Hosting;
using Router.Messages.Serialization;

namespace Router.Node.Hosting;

public static class SerializationHosting
{
    /// <summary>
    /// Binds <see cref="RouterMessageSerializer"/> to every <c>IRouterProtocol</c> message in the
    /// actor system's HOCON (serializers, serialization-bindings, serialization-identifiers).
    /// </summary>
    public static AkkaConfigurationBuilder WithRouterSerialization(this AkkaConfigurationBuilder akka) =>
        akka.AddHocon(RouterMessageSerializer.Hocon, HoconAddMode.Prepend);
}
