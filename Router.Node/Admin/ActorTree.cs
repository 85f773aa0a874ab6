using Akka.Actor;

namespace Router.Node.Admin;

/// <summary>The node's actor tree, read from the actors' child lists (what <c>actor hierarchy</c> shows).</summary>
public static class ActorTree
{
    /// <param name="depth">Levels of children below <paramref name="root"/> to include; deeper ones are counted, not listed.</param>
    public static ActorNode Walk(IActorRef root, int depth)
    {
        var children = Children(root);
        if (depth <= 0)
            return new ActorNode(root.Path.ToStringWithoutAddress(), NameOf(root), []) { Hidden = children.Count };
        return new ActorNode(root.Path.ToStringWithoutAddress(), NameOf(root), children.Select(c => Walk(c, depth - 1)).ToArray());
    }

    // A child list is an immutable container swapped atomically by its actor, so reading it from
    // another thread sees a consistent (if momentary) set of children.
    private static List<IActorRef> Children(IActorRef actor) =>
        actor is ActorRefWithCell cell
            ? cell.Children.OrderBy(c => c.Path.Name, StringComparer.Ordinal).ToList()
            : [];

    private static string NameOf(IActorRef actor) => actor.Path.Elements.Count == 0 ? "/" : actor.Path.Name;
}
