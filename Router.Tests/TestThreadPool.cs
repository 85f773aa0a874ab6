using System.Runtime.CompilerServices;

namespace Router.Tests;

/// <summary>
/// The suite runs many test classes at once in one process, each with its own nodes, fake firewalls and clients, on
/// a 2-core machine, and some tests block threads while they wait. The thread pool starts with one worker per core and
/// adds about one a second when they are all busy, so early in a full run timers and socket completions came several
/// seconds late (a 1 s greeting timeout seen after 8 s), which the timing tests cannot tell from slowness of the
/// router. Enough workers from the start; a router process in service is not affected (this is the test process).
/// </summary>
internal static class TestThreadPool
{
    [ModuleInitializer]
    internal static void Widen()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));
    }
}
