namespace Router.Messages;

/// <summary>
/// Marker for every message that may cross a node boundary. One explicit serializer is bound to it;
/// each implementing type has a round-trip test.
/// </summary>
public interface IRouterProtocol;
