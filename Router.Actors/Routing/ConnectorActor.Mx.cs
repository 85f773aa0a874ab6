using System.Net;
using Akka.Actor;
using Akka.Event;
using Router.Actors.Configuration;
using Router.Actors.Delivery.Dns;
using Router.Messages.Delivery;
using Router.Messages.Health;
using Router.Messages.Routing;

namespace Router.Actors.Routing;

/// <summary>What an MX connector needs: its settings, the MX lookups, and how to make the firewall actor of an MX host's address.</summary>
/// <param name="FirewallProps">The props of a firewall actor for these settings, used by these connectors.</param>
public sealed record MxRouting(MxOptions Options, MxDirectory Directory, FirewallOptions FirewallDefaults,
    Func<FirewallOptions, IReadOnlyList<string>, Props> FirewallProps);

/// <summary>
/// An MX connector (<c>mx = on</c>): instead of configured firewalls it delivers each recipient domain to that
/// domain's MX hosts. Its jobs carry one domain each (the router splits them so). A job's domain is looked up once
/// and again when the answer's TTL ran out (the old answer serves meanwhile); every address of every MX host becomes
/// a firewall of this connector, made on first use as its child (<c>&lt;connector&gt;:&lt;host&gt;@&lt;address&gt;</c>),
/// with the <c>firewall-defaults</c> settings, its own connections and health, shared by the domains that use the
/// same host. A job goes to the most preferred MX group that has a host taking work, spread over that group's
/// hosts; the next group only when none of it takes work; when no host of any group does, the job is deferred. A
/// domain that does not exist or has a null MX fails its recipients (5.1.2, 5.1.10); a lookup that cannot be
/// answered defers them (4.4.3). The connector itself is always usable: it cannot know a domain's hosts are down
/// before it looked.
/// </summary>
public sealed partial class ConnectorActor
{
    /// <summary>Asks an MX connector for the firewalls it made (the admin endpoint lists them); answered with <see cref="MxFirewalls"/>.</summary>
    public sealed class GetMxFirewalls
    {
        public static readonly GetMxFirewalls Instance = new();
        private GetMxFirewalls() { }
    }

    /// <summary>An MX connector's firewalls: their settings and actors (empty for a connector of configured firewalls).</summary>
    public sealed record MxFirewalls(IReadOnlyList<(FirewallOptions Options, IActorRef Actor)> Firewalls);

    private readonly Dictionary<string, FirewallOptions> _mxOptions = new(StringComparer.Ordinal);

    private void OnGetMxFirewalls() =>
        Sender.Tell(new MxFirewalls(_mxOptions.Values.OrderBy(o => o.Id, StringComparer.Ordinal)
            .Select(o => (o, _firewalls[o.Id].Actor)).ToArray()));

    private sealed record MxLooked(string Domain, MxPlan Plan);

    private sealed class MxDomain
    {
        public MxPlan? Plan;
        public DateTimeOffset Expires;
        public bool LookingUp;
        public readonly List<DeliveryJob> Waiting = [];
        // The member firewall ids of each preference group, most preferred first.
        public IReadOnlyList<IReadOnlyList<string>> Groups = [];
    }

    private enum MxChoice
    {
        Wait,
        Sent,
        AllDown,
        // Every MX host that takes work is known to lack an extension the job needs (SMTPUTF8, 8BITMIME, REQUIRETLS).
        Lacking,
    }

    private readonly MxRouting? _mx;
    private readonly Dictionary<string, MxDomain> _mxDomains = new(StringComparer.Ordinal);

    /// <summary>The job's domain as DNS knows it: the A-label form of an internationalised one (bücher.example: xn--bcher-kva.example).</summary>
    private static string DomainOf(DeliveryJob job)
    {
        var domain = AddressSpaceTable.DomainOf(job.Recipients[0]);
        return DomainName.TryNormalize(domain, out var ascii, out _) ? ascii : domain.ToLowerInvariant();
    }

    private int MxWaiting => _mxDomains.Values.Sum(d => d.Waiting.Count);

    /// <summary>True when <paramref name="job"/> can join the backlog now; otherwise it waits for its domain's lookup (or was failed).</summary>
    private bool MxAdmit(DeliveryJob job)
    {
        var domain = DomainOf(job);
        if (!_mxDomains.TryGetValue(domain, out var entry))
            _mxDomains[domain] = entry = new MxDomain();
        var fresh = entry.Expires > _clock.GetUtcNow();
        if (entry.Plan is { Failure: null })
        {
            // The known hosts serve while a stale answer is asked again.
            if (!fresh)
                MxLookUp(domain, entry);
            return true;
        }
        if (entry.Plan is { Failure: not null } failed && fresh)
        {
            MxRefuse(job, failed);
            return false;
        }
        entry.Waiting.Add(job);
        MxLookUp(domain, entry);
        return false;
    }

    private void MxLookUp(string domain, MxDomain entry)
    {
        if (entry.LookingUp)
            return;
        entry.LookingUp = true;
        _mx!.Directory.LookUpAsync(domain, CancellationToken.None).ContinueWith(
            t => new MxLooked(domain, t.IsCompletedSuccessfully
                ? t.Result
                : MxPlan.Failed(domain, "4.4.3", $"MX lookup of {domain} failed: {t.Exception?.GetBaseException().Message}", TimeSpan.FromSeconds(5))),
            TaskScheduler.Default).PipeTo(Self);
    }

    private void OnMxLooked(MxLooked looked)
    {
        if (!_mxDomains.TryGetValue(looked.Domain, out var entry))
            return;
        var plan = looked.Plan;
        entry.LookingUp = false;
        entry.Expires = _clock.GetUtcNow() + plan.Ttl;
        // A failed refresh keeps the hosts known (a lookup that cannot be answered is no news about them).
        if (plan.Failure is { Status: ['4', ..] } && entry.Plan is { Failure: null })
        {
            _log.Warning("Connector {Connector}: {Error}; the MX hosts known for {Domain} serve on", _id, plan.Failure.Value.Text, looked.Domain);
        }
        else
        {
            entry.Plan = plan;
            entry.Groups = plan.Failure is null ? plan.Groups.Select(g => (IReadOnlyList<string>)g.SelectMany(MxMembers).ToArray()).ToArray() : [];
            if (plan.Failure is null)
                _log.Info("Connector {Connector}: MX of {Domain}: {Hosts} (TTL {Ttl})", _id, looked.Domain,
                    string.Join("; ", plan.Groups.Select(g => $"{g[0].Preference}: {string.Join(", ", g.Select(h => $"{h.Name} [{string.Join(", ", h.Addresses)}]"))}")), plan.Ttl);
            else
                _log.Info("Connector {Connector}: {Domain}: {Status} {Error}", _id, looked.Domain, plan.Failure.Value.Status, plan.Failure.Value.Text);
        }
        var waiting = entry.Waiting.ToArray();
        entry.Waiting.Clear();
        foreach (var job in waiting)
        {
            if (entry.Plan is { Failure: null })
                _backlog.AddLast(job);
            else
                MxRefuse(job, entry.Plan!);
        }
        Dispatch();
    }

    /// <summary>The firewall ids of one MX host's addresses, each made (as this connector's child) on first use.</summary>
    private IEnumerable<string> MxMembers(MxHost host)
    {
        foreach (var address in host.Addresses)
        {
            var id = $"{_id}:{host.Name}@{address}";
            if (!_firewalls.ContainsKey(id))
            {
                var options = _mx!.FirewallDefaults with
                {
                    Id = id,
                    Host = address.ToString(),
                    Port = _mx.Options.Port,
                    // The certificate names the host.
                    TlsServerName = host.Name,
                    Pool = null,
                };
                var actor = Context.ActorOf(_mx.FirewallProps(options, [_id]), $"firewall-{Uri.EscapeDataString(id)}");
                _mxOptions[id] = options;
                _firewalls[id] = new FirewallView(actor);
                _metrics[id] = _allMetrics.Path(_id, id);
                actor.Tell(new SubscribeFirewall(_id));
            }
            yield return id;
        }
    }

    /// <summary>A job whose domain has no usable answer: failed for good (5.x.x) or deferred (4.x.x).</summary>
    private void MxRefuse(DeliveryJob job, MxPlan plan)
    {
        var (status, text) = plan.Failure!.Value;
        if (status.StartsWith('5'))
        {
            _outcomes.Tell(new RecipientsFailed(job.QueueId,
                job.RecipientIndexes.Select(i => new FailedRecipient(i, status, text, null) { Connector = _id }).ToArray()));
            _router.Tell(new JobReleased(_id, job, JobRelease.Finished, null, text, Load));
            return;
        }
        MxDefer(job, text);
    }

    private void MxDefer(DeliveryJob job, string reason) =>
        _router.Tell(new JobReleased(_id, job, JobRelease.Deferred, job with { Attempts = job.Attempts + 1, Deferrals = job.Deferrals + 1 }, reason, Load));

    /// <summary>Every waiting job whose domain's hosts have room goes out; one whose hosts are all down is deferred; the rest wait.</summary>
    private void DispatchMx()
    {
        var node = _backlog.First;
        while (node is not null)
        {
            var next = node.Next;
            var job = node.Value;
            var domain = DomainOf(job);
            var entry = _mxDomains.GetValueOrDefault(domain);
            FirewallView? firewall = null;
            var choice = entry is null ? MxChoice.AllDown : MxPick(job, entry, out firewall);
            if (choice == MxChoice.Sent)
            {
                _backlog.Remove(node);
                firewall!.Outstanding++;
                firewall.Actor.Tell(new DeliverJob(job));
            }
            else if (choice == MxChoice.AllDown)
            {
                _backlog.Remove(node);
                MxDefer(job, $"no MX host of {domain} takes mail now (every one is down or tripped)");
            }
            else if (choice == MxChoice.Lacking)
            {
                // Never a downgrade: the recipients fail with the extension's status, as when no firewall of a route offers it.
                _backlog.Remove(node);
                var lacking = entry!.Groups.SelectMany(g => g).Where(id => _firewalls[id].AcceptsWork).ToArray();
                var offered = lacking.Aggregate(MailExtensions.None, (all, id) => all | (_firewalls[id].Offers ?? MailExtensions.None));
                var missing = Delivery.ExtensionRequirements.First(job.Needs & ~offered) is var alone and not MailExtensions.None
                    ? alone : Delivery.ExtensionRequirements.First(job.Needs);
                var (_, status, diagnostic) = Delivery.ExtensionRequirements.Failure(job, missing, lacking);
                _outcomes.Tell(new RecipientsFailed(job.QueueId,
                    job.RecipientIndexes.Select(i => new FailedRecipient(i, status, diagnostic, null) { Connector = _id }).ToArray()));
                _router.Tell(new JobReleased(_id, job, JobRelease.Finished, null, diagnostic, Load));
            }
            node = next;
        }
    }

    private MxChoice MxPick(DeliveryJob job, MxDomain entry, out FirewallView? picked)
    {
        picked = null;
        var needs = job.Needs;
        var lackingOnly = false;
        foreach (var group in entry.Groups)
        {
            var accepting = false;
            var unknown = false;
            var candidates = new List<(string, int)>(group.Count);
            foreach (var id in group)
            {
                var view = _firewalls[id];
                unknown |= !view.Known;
                if (!view.AcceptsWork)
                    continue;
                // A host known to lack what the job needs is not one for it (one not known yet is tried, and is known then).
                if (needs != MailExtensions.None && CapabilityPlacement.Fit(view.Offers, needs) == ExtensionFit.Lacking)
                {
                    lackingOnly = true;
                    continue;
                }
                accepting = true;
                if (view.Outstanding < view.Window)
                    candidates.Add((id, view.Weight));
            }
            if (accepting)
            {
                // Another host than the one that just failed it, when the group has one with room.
                var preferred = candidates.Where(c => c.Item1 != job.AvoidFirewall).ToList();
                if (_shares.Next(preferred.Count > 0 ? preferred : candidates) is { } id)
                {
                    picked = _firewalls[id];
                    return MxChoice.Sent;
                }
                return MxChoice.Wait;
            }
            // Not known yet: its first report decides whether this group or the next one takes the job.
            if (unknown)
                return MxChoice.Wait;
        }
        return lackingOnly ? MxChoice.Lacking : MxChoice.AllDown;
    }

    /// <summary>The jobs waiting for a lookup that a hand-back (hold, suspend, redirect, reload) takes too.</summary>
    private IReadOnlyList<DeliveryJob> TakeMxWaiting(string? onlyQueueId)
    {
        var taken = new List<DeliveryJob>();
        foreach (var entry in _mxDomains.Values)
        {
            taken.AddRange(entry.Waiting.Where(j => onlyQueueId is null || j.QueueId == onlyQueueId));
            entry.Waiting.RemoveAll(j => onlyQueueId is null || j.QueueId == onlyQueueId);
        }
        return taken;
    }
}
