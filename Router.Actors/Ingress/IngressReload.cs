using Akka.Actor;
using Akka.Event;
using Microsoft.Extensions.Logging;
using Router.Actors.Configuration;
using Router.Actors.Ingress.Auth;
using Router.Actors.Ingress.Inbound;
using Router.Actors.Ingress.Tls;
using Router.Actors.Observability.Tracing;
using Router.Actors.Routing;

namespace Router.Actors.Ingress;

/// <summary>
/// A configuration reload, the edge's side: relay networks, AUTH users, limits, banner and the
/// STARTTLS certificate take effect for new sessions (and each new STARTTLS); the listener is not
/// closed and sessions in progress are not cut. The address spaces decide which recipients are
/// accepted at RCPT from the next command on.
/// </summary>
public sealed partial class IngressActor
{
    /// <summary>New SMTP settings and address spaces; answered with <see cref="Done"/> once new sessions use them.</summary>
    public sealed record Reconfigure(SmtpOptions Smtp, AddressSpaceTable Table);

    private void OnReconfigure(Reconfigure reconfigure)
    {
        _table = reconfigure.Table;
        var parts = BuildEdge(reconfigure.Smtp, reconfigure.Table);
        if (_edge is null)
            _edge = new LiveEdge(parts);
        else
            _edge.Set(parts);
        foreach (var line in EdgeSecurityEndpoint.Describe(reconfigure.Smtp, DateTimeOffset.Now))
        {
            if (line.StartsWith("WARNING", StringComparison.Ordinal))
                _log.Warning(line);
            else
                _log.Info(line);
        }
        foreach (var listener in reconfigure.Smtp.EffectiveListeners)
            _log.Info("SMTP listener {Listener} reconfigured for new sessions: {Policy}", listener.Name, Describe(listener.Relay));
        _log.Info("SMTP edge reconfigured for new sessions: max message size {Size}, max recipients {Recipients}; the listener stayed open",
            reconfigure.Smtp.MaxMessageSize, reconfigure.Smtp.MaxRecipients);
        Sender.Tell(Done.Instance);
    }

    private LiveEdge.Parts BuildEdge(SmtpOptions smtp, AddressSpaceTable table)
    {
        var logger = _loggers.CreateLogger("Router.Ingress");
        return new LiveEdge.Parts(
            smtp,
            smtp.EffectiveListeners.ToDictionary(l => l.Name, l => new RelayMailboxFilter(table, l.Relay, smtp.MaxMessageSizeOn(l), smtp.MaxRecipients, _backPressure,
                l.Relay.Recipients.Enabled ? new RecipientValidator(l.Relay.Recipients, smtp.Hostname, logger, TimeProvider.System) : null), StringComparer.Ordinal),
            new TracedMessageStore(new SpoolMessageStore(_spool, _router, smtp.Hostname, smtp.MaxMessageSize, smtp.MaxHops, smtp.NormalizeBareLineEndings,
                logger, TimeProvider.System, _telemetry, _shadow), _telemetry.Tracing),
            new ConfiguredUserAuthenticator(smtp.Auth, _authFailures, logger),
            new EdgeSecurityPolicy(smtp.Tls, smtp.Auth, _authFailures,
                context => smtp.ListenerNamed(_listenerOf?.GetValueOrDefault(context.EndpointDefinition, SmtpOptions.DefaultListener))));
    }

    /// <summary>One line of a listener's relay policy, for the log.</summary>
    internal static string Describe(RelayPolicy relay)
    {
        var recipients = relay.Recipients;
        var checks = new List<string>();
        if (recipients.Addresses is { } list)
            checks.Add($"{list.Count} listed recipient(s)");
        if (recipients.Callout is { } callout)
            checks.Add($"callout to {callout.Host}:{callout.Port}");
        return $"relay networks [{string.Join(",", relay.AllowedNetworks)}]{(relay.RequireAuth ? " (AUTH required)" : string.Empty)}, "
            + $"relay domains [{string.Join(",", relay.Domains.Select(d => d.Pattern))}]"
            + (checks.Count > 0 ? $", recipients checked by {string.Join(" and ", checks)}" : string.Empty);
    }
}
