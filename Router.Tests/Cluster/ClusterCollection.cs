namespace Router.Tests.Cluster;

/// <summary>
/// Tests that run several clustered nodes in this process run one class at a time and alone: they
/// assert on Akka's failure detector (no node marked unreachable while 10 MB move), which other
/// nodes and tests competing for the same cores and the same garbage collector would trip.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "cluster (alone: heartbeats are measured)";
}
