namespace Router.Actors.Cluster.Peers;

/// <summary>Whether this node has begun to leave the cluster: it then takes no mail from peers either.</summary>
public sealed class LeaveState
{
    private volatile bool _leaving;

    public bool Leaving => _leaving;

    public void Begin() => _leaving = true;
}
