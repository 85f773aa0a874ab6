using System.Net;
using Router.Messages;
using SmtpServer;

namespace Router.Actors.Ingress;

/// <summary>
/// What the router remembers about one SMTP session, kept in the session's property bag (the
/// SmtpServer library gives filters and stores no other per-session place).
/// </summary>
internal sealed class SessionState
{
    private const string Key = "Router:Session";

    public string Helo { get; set; } = string.Empty;
    public int Recipients { get; set; }

    /// <summary>DSN parameters of the accepted recipients of the current transaction, in order (null: none given).</summary>
    public List<RecipientNotify?> AcceptedOptions { get; } = [];

    private (string Address, RecipientNotify Options)? _lastRcpt;

    /// <summary>
    /// STARTTLS and AUTH policy (<see cref="Auth.EdgeSecurityPolicy"/>): sees each command line first
    /// and refuses one by throwing <see cref="SmtpServer.Protocol.SmtpResponseException"/>.
    /// </summary>
    public Action<string>? CommandCheck { get; set; }

    /// <summary>What the session's EHLO reply offers now: MAIL and RCPT parameters outside it are refused (<see cref="ParameterPolicy"/>).</summary>
    public Func<EsmtpOffer>? Offer { get; set; }

    /// <summary>The largest message this session takes (its listener's <c>max-message-size</c>), fixed when it began; null: the edge's.</summary>
    public long? MaxMessageSize { get; set; }

    /// <summary>Sees every command line just before the library executes it (see <see cref="CommandObservingReader"/>).</summary>
    public void OnCommandLine(string line)
    {
        CommandCheck?.Invoke(line);
        // RFC 3030 §2: once DATA was issued in a transaction, BDAT may not follow (refused or not).
        if (InTransaction && line.Equals("DATA", StringComparison.OrdinalIgnoreCase))
            DataIssued = true;
        // Refused here, the command never runs: a bad MAIL starts no transaction, a bad RCPT adds no recipient.
        Pending = EsmtpCommandLine.Parse(line);
        if (Offer is not null && Pending is { } command && ParameterPolicy.Check(command, Offer()) is { } refusal)
            throw new SmtpServer.Protocol.SmtpResponseException(refusal);
        if (!line.StartsWith("RCPT", StringComparison.OrdinalIgnoreCase))
            return;
        _lastRcpt = DsnParameters.ParseRcpt(line);
        // The library drops a source route (<@a,@b:user@c>) and keeps the final mailbox; a relay
        // must refuse the whole trick, so remember that there was one.
        var open = line.IndexOf('<');
        LastRcptHadSourceRoute = open >= 0 && open + 1 < line.Length && line[open + 1] == '@';
    }

    /// <summary>The MAIL or RCPT line about to run, as sent (null for other commands).</summary>
    public EsmtpCommandLine? Pending { get; private set; }

    /// <summary>The MAIL line of the transaction under way (set once the library has taken it).</summary>
    public EsmtpCommandLine? Mail { get; private set; }

    /// <summary>The transaction's MAIL carried SMTPUTF8 (RFC 6531 §3.4).</summary>
    public bool Smtputf8 => Mail is { } mail && mail.Parameters.Any(p => p.Keyword.Equals("SMTPUTF8", StringComparison.OrdinalIgnoreCase));

    /// <summary>The transaction's MAIL carried REQUIRETLS (RFC 8689), which is taken on a TLS session only.</summary>
    public bool RequireTls => Mail is { } mail && mail.Parameters.Any(p => p.Keyword.Equals("REQUIRETLS", StringComparison.OrdinalIgnoreCase));

    /// <summary>The accepted recipients of the current transaction, in order, as the client wrote them.</summary>
    public List<string> AcceptedRecipients { get; } = [];

    /// <summary>When the transaction's MAIL was taken, for its accept span; default when spans are not listened to.</summary>
    public DateTimeOffset TransactionStarted { get; private set; }

    /// <summary>A MAIL was taken and neither RSET nor the end of the message data has ended its transaction since.</summary>
    public bool InTransaction { get; private set; }

    /// <summary>DATA was sent in the transaction under way: BDAT may not follow it (RFC 3030 §2).</summary>
    public bool DataIssued { get; private set; }

    /// <summary>A BDAT chunk may be taken: a transaction with at least one accepted recipient, and no DATA in it.</summary>
    public bool ReadyForChunks => InTransaction && AcceptedRecipients.Count > 0;

    /// <summary>RSET, HELO/EHLO or the end of a message's data (stored or refused) ended the transaction.</summary>
    public void EndTransaction()
    {
        InTransaction = false;
        DataIssued = false;
    }

    /// <summary>A MAIL was taken: a new transaction starts.</summary>
    public void BeginTransaction()
    {
        InTransaction = true;
        DataIssued = false;
        TransactionStarted = Observability.Tracing.MessageTracing.Clock();
        Mail = Pending is { Verb: EsmtpVerb.Mail } mail ? mail : null;
        Recipients = 0;
        AcceptedOptions.Clear();
        AcceptedRecipients.Clear();
    }

    /// <summary>
    /// The address the client wrote in the MAIL or RCPT being run. The library decodes a domain as
    /// ASCII (a UTF-8 domain reaches it as '?'), so a non-ASCII address is taken from the line itself.
    /// </summary>
    public string AddressOf(SmtpServer.Mail.IMailbox? mailbox, EsmtpVerb verb)
    {
        if (Pending is { } line && line.Verb == verb && !System.Text.Ascii.IsValid(line.Address))
            return line.Address;
        return mailbox is null || (mailbox.User.Length == 0 && mailbox.Host.Length == 0) ? string.Empty : $"{mailbox.User}@{mailbox.Host}";
    }

    /// <summary>The RCPT being executed carried a source route.</summary>
    public bool LastRcptHadSourceRoute { get; private set; }

    /// <summary>The DSN parameters the RCPT for <paramref name="address"/> carried, if any.</summary>
    public RecipientNotify? OptionsFor(string address) =>
        _lastRcpt is { } last && string.Equals(last.Address, address, StringComparison.OrdinalIgnoreCase) ? last.Options : null;

    public static SessionState Of(ISessionContext context)
    {
        if (context.Properties.TryGetValue(Key, out var value) && value is SessionState state)
            return state;
        state = new SessionState();
        context.Properties[Key] = state;
        return state;
    }

    public static IPAddress? ClientAddress(ISessionContext context) =>
        context.Properties.TryGetValue(SmtpServer.Net.EndpointListener.RemoteEndPointKey, out var value) && value is IPEndPoint endpoint
            ? (endpoint.Address.IsIPv4MappedToIPv6 ? endpoint.Address.MapToIPv4() : endpoint.Address)
            : null;
}
