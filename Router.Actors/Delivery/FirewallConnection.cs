using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MimeKit;
using Router.Actors.Configuration;
using Router.Actors.Health.Latency;
using Router.Messages.Delivery;

namespace Router.Actors.Delivery;

/// <summary>
/// One SMTP connection to one firewall, kept open and reused across messages. Not thread-safe:
/// a delivery worker owns exactly one. Every failure is classified into an
/// <see cref="AttemptOutcome"/> so that health tracking can tell a sick firewall from a bad message.
/// This type sends messages; <see cref="FirewallSessionOpener"/> sets the session up.
/// </summary>
public sealed class FirewallConnection : IAsyncDisposable
{
    /// <summary>RFC 4954: 530 5.7.0 Authentication required.</summary>
    private const int AuthenticationRequired = 530;

    /// <summary>How MailKit writes the message: CRLF, no headers of the wrapper (MailKit clones it per send).</summary>
    private static readonly FormatOptions Format = CreateFormat();

    /// <summary>The same for a message that needs SMTPUTF8 (RFC 6531): MailKit then says SMTPUTF8 on MAIL.</summary>
    private static readonly FormatOptions InternationalFormat = CreateFormat(international: true);

    private readonly FirewallOptions _firewall;
    private readonly FirewallSessionOpener _opener;
    private readonly LatencyBook _latencies;
    private readonly bool _judged;
    // Sessions for parts whose connector demands stronger TLS than the firewall's own (RouteTls), made when first needed.
    private readonly Dictionary<FirewallTls, FirewallSessionOpener> _strongerOpeners = [];
    // The TLS mode the open session was set up with: a part that needs more does not travel on it.
    private FirewallTls _sessionTls;
    private (MimeMessage Message, RawMessagePart Part)? _raw;
    private RelaySmtpClient? _client;
    private Socket? _socket;

    // max-connection-rate: shared by the firewall's workers; null when unlimited (and for probes).
    private readonly Health.TokenBucket? _connectionRate;
    // Transactions on the open session, for max-messages-per-connection.
    private int _sessionMessages;

    /// <param name="latencies">The firewall's latency history, shared by its connections and probe; a fresh one when not given.</param>
    /// <param name="judged">
    /// True for delivery: a wait before any data is sent that runs far past the history is given up and the job
    /// hedged elsewhere. False for the health probe: only the fixed timeouts apply (latencies are still recorded).
    /// </param>
    /// <param name="connectionRate">The firewall's <c>max-connection-rate</c> bucket; null when unlimited.</param>
    public FirewallConnection(FirewallOptions firewall, LatencyBook? latencies = null, bool judged = true, Health.TokenBucket? connectionRate = null)
    {
        _firewall = firewall;
        _latencies = latencies ?? new LatencyBook(firewall.Latency);
        _judged = judged;
        _opener = new FirewallSessionOpener(firewall, _latencies, judged);
        _connectionRate = connectionRate;
    }

    public bool IsConnected => _client?.IsConnected == true;

    /// <summary>What the firewall's EHLO reply offered on the open session; null while none is open.</summary>
    public FirewallCapabilities? Capabilities => _client is { IsConnected: true } client ? FirewallCapabilities.From(client.Capabilities, client.MaxSize) : null;

    /// <summary>Delivers one job. Never throws for SMTP or network faults: they become the result.</summary>
    public async Task<DeliveryResult> DeliverAsync(DeliveryJob job, Func<Stream> openBody, CancellationToken cancellationToken)
    {
        Stream body;
        try
        {
            body = openBody();
        }
        catch (Exception ex)
        {
            return DeliveryResult.ForAll(job, AttemptOutcome.LocalError, 0, $"spool read failed: {ex.Message}");
        }

        await using (body.ConfigureAwait(false))
        {
            // An idle pooled connection has nothing to read; if it is readable the firewall has
            // closed it (EOF/RST) or timed it out with a 421: do not send a message into it.
            if (IsConnected && _socket is { } socket && socket.Poll(0, SelectMode.SelectRead))
                await DropAsync().ConfigureAwait(false);
            // A session set up with weaker TLS than this part's route demands is closed; a new one is opened for it.
            if (IsConnected && _sessionTls < TlsFor(job) && !(TlsFor(job) == FirewallTls.Required && IsSecure))
                await CloseAsync(cancellationToken).ConfigureAwait(false);
            var reused = IsConnected;
            var result = await TryDeliverAsync(job, body, cancellationToken).ConfigureAwait(false);
            // A pooled connection the firewall closed while idle fails on its first command. That
            // says nothing about the firewall or the message: try once more on a fresh connection.
            if (reused && !result.DataSent && result.Outcome is AttemptOutcome.ConnectionLost or AttemptOutcome.ServiceClosing)
                result = await TryDeliverAsync(job, body, cancellationToken).ConfigureAwait(false);
            // max-messages-per-connection: the session has carried its share; the next job opens a new one.
            if (IsConnected && _firewall.MaxMessagesPerConnection is { } limit && ++_sessionMessages >= limit)
                await CloseAsync(cancellationToken).ConfigureAwait(false);
            return result;
        }
    }

    private async Task<DeliveryResult> TryDeliverAsync(DeliveryJob job, Stream body, CancellationToken cancellationToken)
    {
        if (!IsConnected)
        {
            try
            {
                // max-connection-rate: wait for a token before opening a connection (the wait is abandoned with the attempt).
                if (_connectionRate is { } rate)
                    await rate.TakeAsync(cancellationToken).ConfigureAwait(false);
                var failure = await ConnectAsync(job, cancellationToken).ConfigureAwait(false);
                if (failure is not null)
                    return failure;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await DropAsync().ConfigureAwait(false);
                return DeliveryResult.ForAll(job, AttemptOutcome.Aborted, 0, "attempt abandoned while connecting");
            }
        }

        var client = _client!;
        // What the firewall's EHLO (after STARTTLS) lacks is found before anything is sent: the job goes back to be
        // placed where it is offered (REQUIRETLS counts only on a verified session, tls = verify).
        var offered = ExtensionRequirements.Offered(FirewallCapabilities.From(client.Capabilities, client.MaxSize),
            verifiedTls: _firewall.Tls == FirewallTls.Verify && client.IsSecure);
        if (ExtensionRequirements.Refuse(job, offered, _firewall.Id) is { } refused)
            return refused;
        var (message, part) = _raw ??= RawMessagePart.Wrap(body);
        part.Use(body);
        // SMTPUTF8 on MAIL even when only headers are UTF-8 (MailKit adds it by itself for UTF-8 addresses).
        var format = job.Smtputf8 && client.Capabilities.HasFlag(SmtpCapabilities.EightBitMime) ? InternationalFormat : Format;

        var recipients = job.Recipients.Select(ToMailbox).ToArray();
        client.BeginTransaction(job);
        // RFC 8689: REQUIRETLS on MAIL FROM (MailKit adds it only where the EHLO offered it, checked above).
        client.RequireTLS = job.RequireTls;
        client.MessageSize = body.Length;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_firewall.CommandTimeout * 2 + _firewall.DataTimeout);
        using var hedge = new TransactionHedge(_latencies, _judged, _firewall.CommandTimeout, recipients.Length, deadline.Token);
        client.ReplyReceived = hedge.OnReply;
        try
        {
            hedge.Start();
            var reply = await client.SendAsync(format, message, ToMailbox(job.Sender), recipients, hedge.Token).ConfigureAwait(false);
            hedge.OnDataAnswered();
            return Completed(job, client, 250, reply, dataSent: true);
        }
        catch (SmtpCommandException ex) when (ex.ErrorCode == SmtpErrorCode.MessageNotAccepted && !part.Written && client.Rejected.Count > 0)
        {
            // No recipient accepted: each keeps its own rejection.
            return Completed(job, client, 0, ex.Message, dataSent: false);
        }
        catch (ServiceNotAuthenticatedException ex)
        {
            // 530: the firewall wants AUTH (or STARTTLS first) from us. Our configuration, not the message, is at
            // fault: a firewall-level failure, so the mail goes elsewhere instead of bouncing.
            await DropAsync().ConfigureAwait(false);
            return DeliveryResult.ForAll(job, AttemptOutcome.AuthFailed, 0, $"the firewall demands authentication: {AuthenticationRequired} {ex.Message}", part.Written);
        }
        catch (SmtpCommandException ex)
        {
            var code = (int)ex.StatusCode;
            if (code == 421)
            {
                await DropAsync().ConfigureAwait(false);
                return DeliveryResult.ForAll(job, AttemptOutcome.ServiceClosing, code, Describe(ex), part.Written);
            }
            if (ex.ErrorCode == SmtpErrorCode.UnexpectedStatusCode)
            {
                await DropAsync().ConfigureAwait(false);
                return DeliveryResult.ForAll(job, AttemptOutcome.ProtocolError, code, Describe(ex), part.Written);
            }
            var outcome = code >= 500 ? AttemptOutcome.PermanentRejection : AttemptOutcome.TransientRejection;
            // MAIL FROM refused: the replies to the pipelined RCPTs that follow ("503 need MAIL")
            // are consequences, not verdicts on the recipients, so every recipient takes MAIL's reply.
            if (ex.ErrorCode == SmtpErrorCode.SenderNotAccepted)
                return DeliveryResult.ForAll(job, outcome, code, Describe(ex));
            // DATA or the final dot refused: applies to every recipient RCPT had accepted.
            return Completed(job, client, code, Describe(ex), part.Written) with { Outcome = outcome };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await DropAsync().ConfigureAwait(false);
            return DeliveryResult.ForAll(job, AttemptOutcome.Aborted, 0, "attempt abandoned in flight", part.Written);
        }
        catch (Exception ex) when (hedge.GivenUp is { } givenUp && ex is OperationCanceledException or IOException or TimeoutException)
        {
            // Far outside the history before any data went out: the session is dropped (the firewall is not
            // waited on for a QUIT) and the job goes elsewhere at once.
            await DropAsync().ConfigureAwait(false);
            var detail = $"no reply to {(givenUp.Phase == DeliveryPhase.Mail ? "MAIL FROM" : "RCPT TO")} within {FirewallSessionOpener.Waited(givenUp.Limit, _firewall.CommandTimeout)}";
            return DeliveryResult.ForAll(job, AttemptOutcome.CommandTimeout, 0, detail, part.Written) with { Hedged = !part.Written, HedgedCold = !part.Written && givenUp.Cold };
        }
        catch (OperationCanceledException)
        {
            await DropAsync().ConfigureAwait(false);
            return DeliveryResult.ForAll(job, AttemptOutcome.CommandTimeout, 0, "timed out waiting for the firewall", part.Written);
        }
        catch (TimeoutException ex)
        {
            await DropAsync().ConfigureAwait(false);
            return DeliveryResult.ForAll(job, AttemptOutcome.CommandTimeout, 0, ex.Message, part.Written);
        }
        catch (Exception ex) when (ex is IOException or SocketException or SmtpProtocolException or ServiceNotConnectedException)
        {
            await DropAsync().ConfigureAwait(false);
            return DeliveryResult.ForAll(job, AttemptOutcome.ConnectionLost, 0, ex.Message, part.Written);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await DropAsync().ConfigureAwait(false);
            return DeliveryResult.ForAll(job, AttemptOutcome.ProtocolError, 0, ex.Message, part.Written);
        }
        finally
        {
            client.ReplyReceived = null;
        }
    }

    /// <summary>Opens the TCP connection and reads the greeting; null on success.</summary>
    private async Task<DeliveryResult?> ConnectAsync(DeliveryJob job, CancellationToken cancellationToken)
    {
        await DropAsync().ConfigureAwait(false);
        var tls = TlsFor(job);
        var (outcome, code, detail, hedgedIn) = await OpenAsync(tls, cancellationToken).ConfigureAwait(false);
        if (outcome is null)
            return null;
        // TLS the firewall itself is not set to need failed: the route's policy, not the firewall's health (Postfix
        // defers such mail the same way). Its other connectors keep using it.
        if (outcome == AttemptOutcome.TlsFailed && tls > _firewall.Tls)
            return DeliveryResult.ForAll(job, AttemptOutcome.RouteTlsFailed, 0,
                $"the connector demands tls {tls.ToString().ToLowerInvariant()}, which {_firewall.Id} did not give: {detail}");
        return DeliveryResult.ForAll(job, outcome.Value, code, detail) with { Hedged = hedgedIn is not null, HedgedCold = hedgedIn is { } step && _latencies.Cold(step) };
    }

    /// <summary>The TLS a part needs: its connector's demand when that is stronger than the firewall's own <c>tls</c>.</summary>
    private FirewallTls TlsFor(DeliveryJob job)
    {
        var route = job.Tls switch
        {
            RouteTls.Verify => FirewallTls.Verify,
            RouteTls.Required => FirewallTls.Required,
            _ => FirewallTls.None,
        };
        return route > _firewall.Tls ? route : _firewall.Tls;
    }

    /// <summary>
    /// Opens the session (<see cref="FirewallSessionOpener"/>) and keeps it for the deliveries that follow. The
    /// health probe opens its sessions here too.
    /// </summary>
    /// <remarks><c>HedgedIn</c>: the step given up at the firewall's learnt threshold, short of its fixed timeout.</remarks>
    internal Task<(AttemptOutcome? Outcome, int Code, string Detail, DeliveryPhase? HedgedIn)> OpenAsync(CancellationToken cancellationToken) =>
        OpenAsync(_firewall.Tls, cancellationToken);

    private async Task<(AttemptOutcome? Outcome, int Code, string Detail, DeliveryPhase? HedgedIn)> OpenAsync(FirewallTls tls, CancellationToken cancellationToken)
    {
        var opener = tls <= _firewall.Tls ? _opener
            : _strongerOpeners.TryGetValue(tls, out var stronger) ? stronger
            : _strongerOpeners[tls] = new FirewallSessionOpener(_firewall with { Tls = tls }, _latencies, _judged);
        var (outcome, code, detail, client, socket, hedgedIn) = await opener.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (outcome is null)
        {
            _client = client;
            _socket = socket;
            _sessionTls = tls <= _firewall.Tls ? _firewall.Tls : tls;
            _sessionMessages = 0;
        }

        return (outcome, code, detail, hedgedIn);
    }

    /// <summary>
    /// The probe's check that the open session answers a transaction (<c>MAIL FROM:&lt;&gt;</c>, <c>RSET</c>) within
    /// command-timeout: a firewall that greets and then stalls at MAIL fails it. Null when answered.
    /// </summary>
    internal async Task<string?> ProbeTransactionAsync(CancellationToken cancellationToken)
    {
        if (_client is not { IsConnected: true } client)
            return "no session";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_firewall.CommandTimeout);
        try
        {
            _latencies.Record(DeliveryPhase.Mail, await client.ProbeTransactionAsync(deadline.Token).ConfigureAwait(false));
            return null;
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            await DropAsync().ConfigureAwait(false);
            return $"no reply to MAIL FROM:<> within {_firewall.CommandTimeout.TotalSeconds:0.#}s";
        }
        catch (Exception ex) when (ex is IOException or SocketException or SmtpProtocolException or ServiceNotConnectedException or SmtpCommandException)
        {
            await DropAsync().ConfigureAwait(false);
            return $"MAIL FROM:<> failed: {ex.Message}";
        }
    }

    /// <summary>Whether the open session is encrypted (STARTTLS succeeded).</summary>
    public bool IsSecure => _client?.IsSecure == true;

    /// <summary>Whether the open session authenticated with the firewall's credentials.</summary>
    public bool IsAuthenticated => _client?.IsAuthenticated == true;

    /// <summary>Politely ends the session (QUIT), e.g. when the connection has been idle too long.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        var client = _client;
        var socket = _socket;
        _client = null;
        _socket = null;
        using var _ = socket;
        if (client is null)
            return;
        try
        {
            if (client.IsConnected)
                await client.DisconnectAsync(quit: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The connection is going away either way.
        }
        finally
        {
            client.Dispose();
        }
    }

    private Task DropAsync()
    {
        var client = _client;
        _client = null;
        client?.Dispose();
        _socket?.Dispose();
        _socket = null;
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        using var quitDeadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await CloseAsync(quitDeadline.Token).ConfigureAwait(false);
    }

    private static FormatOptions CreateFormat(bool international = false)
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        format.International = international;
        foreach (var hidden in RawMessagePart.HiddenHeaders)
            format.HiddenHeaders.Add(hidden);
        return format;
    }

    private static DeliveryResult Completed(DeliveryJob job, RelaySmtpClient client, int code, string reply, bool dataSent)
    {
        var results = new RecipientResult[job.Recipients.Count];
        for (var i = 0; i < results.Length; i++)
        {
            var rejected = client.Rejected.FirstOrDefault(r => string.Equals(r.Mailbox.Address, job.Recipients[i], StringComparison.OrdinalIgnoreCase));
            results[i] = rejected.Response is { } response
                ? new RecipientResult(job.RecipientIndexes[i], (int)response.StatusCode, $"{(int)response.StatusCode} {response.Response}")
                : new RecipientResult(job.RecipientIndexes[i], code, code == 0 ? reply : $"{code} {reply}");
        }
        return new DeliveryResult(AttemptOutcome.Completed, results, reply, dataSent);
    }

    private static string Describe(SmtpCommandException ex) => FirewallSessionOpener.Describe(ex);

    private static MailboxAddress ToMailbox(string address) => address.Length == 0
        ? new MailboxAddress(string.Empty, string.Empty)
        : MailboxAddress.Parse(ParserOptions.Default, address);
}
