using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using Router.Actors.Configuration;
using Router.Messages.Delivery;

namespace Router.Actors.Delivery;

/// <summary>
/// One SMTP connection to one firewall, kept open and reused across messages. Not thread-safe:
/// a delivery worker owns exactly one. Every failure is classified into an
/// <see cref="AttemptOutcome"/> so that health tracking can tell a sick firewall from a bad message.
/// </summary>
public sealed class FirewallConnection : IAsyncDisposable
{
    /// <summary>RFC 4954: 530 5.7.0 Authentication required.</summary>
    private const int AuthenticationRequired = 530;

    /// <summary>SASL mechanisms in order of preference; the first the firewall offers is the one tried.</summary>
    private static readonly string[] PreferredMechanisms =
        ["SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "LOGIN", "CRAM-MD5"];

    /// <summary>How MailKit writes the message: CRLF, no headers of the wrapper (MailKit clones it per send).</summary>
    private static readonly FormatOptions Format = CreateFormat();

    /// <summary>The same for a message that needs SMTPUTF8 (RFC 6531): MailKit then says SMTPUTF8 on MAIL.</summary>
    private static readonly FormatOptions InternationalFormat = CreateFormat(international: true);

    private readonly FirewallOptions _firewall;
    private (MimeMessage Message, RawMessagePart Part)? _raw;
    private RelaySmtpClient? _client;
    private Socket? _socket;

    public FirewallConnection(FirewallOptions firewall) => _firewall = firewall;

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
            var reused = IsConnected;
            var result = await TryDeliverAsync(job, body, cancellationToken).ConfigureAwait(false);
            // A pooled connection the firewall closed while idle fails on its first command. That
            // says nothing about the firewall or the message: try once more on a fresh connection.
            if (reused && !result.DataSent && result.Outcome is AttemptOutcome.ConnectionLost or AttemptOutcome.ServiceClosing)
                result = await TryDeliverAsync(job, body, cancellationToken).ConfigureAwait(false);
            return result;
        }
    }

    private async Task<DeliveryResult> TryDeliverAsync(DeliveryJob job, Stream body, CancellationToken cancellationToken)
    {
        if (!IsConnected)
        {
            try
            {
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
        if (InternationalDelivery.Refuse(job, FirewallCapabilities.From(client.Capabilities, client.MaxSize), _firewall.Id) is { } refused)
            return refused;
        var (message, part) = _raw ??= RawMessagePart.Wrap(body);
        part.Use(body);
        // SMTPUTF8 on MAIL even when only headers are UTF-8 (MailKit adds it by itself for UTF-8 addresses).
        var format = job.Smtputf8 && client.Capabilities.HasFlag(SmtpCapabilities.EightBitMime) ? InternationalFormat : Format;

        var recipients = job.Recipients.Select(ToMailbox).ToArray();
        client.BeginTransaction(job);
        client.MessageSize = body.Length;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_firewall.CommandTimeout * 2 + _firewall.DataTimeout);
        try
        {
            var reply = await client.SendAsync(format, message, ToMailbox(job.Sender), recipients, deadline.Token).ConfigureAwait(false);
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
    }

    /// <summary>Opens the TCP connection and reads the greeting; null on success.</summary>
    private async Task<DeliveryResult?> ConnectAsync(DeliveryJob job, CancellationToken cancellationToken)
    {
        await DropAsync().ConfigureAwait(false);
        var (outcome, code, detail) = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return outcome is null ? null : DeliveryResult.ForAll(job, outcome.Value, code, detail);
    }

    /// <summary>
    /// Opens the session as the firewall's options say: TCP connect, greeting and EHLO, STARTTLS per
    /// <c>tls</c>, AUTH when credentials are configured. Each step has its own timeout (MailKit alone
    /// would fold them into one operation) and its own outcome: a refused port, a blackholed address, a
    /// firewall that never greets, a TLS failure and refused credentials are different faults. The
    /// health probe opens its sessions here too.
    /// </summary>
    internal async Task<(AttemptOutcome? Outcome, int Code, string Detail)> OpenAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using (var connectDeadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connectDeadline.CancelAfter(_firewall.ConnectTimeout);
                try
                {
                    await socket.ConnectAsync(_firewall.Host, _firewall.Port, connectDeadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    socket.Dispose();
                    return (AttemptOutcome.ConnectTimeout, 0, $"no connection within {_firewall.ConnectTimeout.TotalSeconds:0.#}s");
                }
                catch (SocketException ex)
                {
                    socket.Dispose();
                    return (AttemptOutcome.ConnectFailed, 0, $"connect failed: {ex.SocketErrorCode}");
                }
            }

            var phase = new SessionPhase();
            var certificates = new FirewallCertificateValidator(_firewall.Tls, _firewall.TlsTrustAnchors);
            var client = new RelaySmtpClient(phase)
            {
                LocalDomain = _firewall.HeloName,
                CommandTimeoutMs = (int)_firewall.CommandTimeout.TotalMilliseconds,
                DataTimeoutMs = (int)_firewall.DataTimeout.TotalMilliseconds,
                Timeout = (int)Math.Max(_firewall.GreetingTimeout.TotalMilliseconds, _firewall.TlsHandshakeTimeout.TotalMilliseconds),
                SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                // Firewalls inside the perimeter rarely publish revocation lists; verify checks chain and name.
                CheckCertificateRevocation = false,
                ServerCertificateValidationCallback = certificates.Validate,
            };
            using var greetingDeadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            greetingDeadline.CancelAfter(_firewall.GreetingTimeout);
            // From STARTTLS on, the handshake (and the EHLO after it) has its own timeout.
            phase.OnStartTls = () => greetingDeadline.CancelAfter(_firewall.TlsHandshakeTimeout);
            try
            {
                // MailKit would wrap the socket in a stream that sends each 4 KB block on its own.
                await client.ConnectAsync(new CoalescingSocketStream(socket), TlsServerName, _firewall.Port, SecureSocketOptions, greetingDeadline.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (cancellationToken.IsCancellationRequested)
            {
                client.Dispose();
                socket.Dispose();
                // MailKit wraps a cancelled handshake in SslHandshakeException: the attempt was abandoned all the same.
                throw ex as OperationCanceledException ?? new OperationCanceledException("abandoned while opening the session", ex, cancellationToken);
            }
            catch (Exception ex)
            {
                client.Dispose();
                socket.Dispose();
                return phase.StartTlsSent || ex is SslHandshakeException || (ex is NotSupportedException && _firewall.Tls >= FirewallTls.Required)
                    ? TlsFailure(ex, certificates.LastFailure)
                    : ex switch
                    {
                        OperationCanceledException or TimeoutException =>
                            (AttemptOutcome.GreetingTimeout, 0, $"no greeting within {_firewall.GreetingTimeout.TotalSeconds:0.#}s"),
                        SmtpCommandException cmd => (AttemptOutcome.SessionRefused, (int)cmd.StatusCode, Describe(cmd)),
                        _ => (AttemptOutcome.SessionRefused, 0, $"session failed: {ex.Message}"),
                    };
            }
            phase.Settled = true;

            if (_firewall.Auth is { } credentials)
            {
                var failure = await AuthenticateAsync(client, credentials, cancellationToken).ConfigureAwait(false);
                if (failure is not null)
                {
                    client.Dispose();
                    socket.Dispose();
                    return failure.Value;
                }
            }

            client.Timeout = (int)_firewall.CommandTimeout.TotalMilliseconds;
            _client = client;
            _socket = socket;
            return (null, 0, string.Empty);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The name TLS is negotiated for: SNI and, under <c>tls = verify</c>, the name the certificate must carry.</summary>
    private string TlsServerName => _firewall.TlsServerName ?? _firewall.Host;

    private SecureSocketOptions SecureSocketOptions => _firewall.Tls switch
    {
        FirewallTls.None => SecureSocketOptions.None,
        FirewallTls.Opportunistic => SecureSocketOptions.StartTlsWhenAvailable,
        _ => SecureSocketOptions.StartTls,
    };

    private (AttemptOutcome?, int, string) TlsFailure(Exception ex, string? certificateProblem)
    {
        var mode = _firewall.Tls.ToString().ToLowerInvariant();
        var detail = ex switch
        {
            NotSupportedException => $"the firewall does not offer STARTTLS (tls = {mode}); nothing is sent in clear text",
            _ when certificateProblem is not null => $"certificate refused (tls = {mode}): {certificateProblem}",
            OperationCanceledException or TimeoutException or SslHandshakeException { InnerException: OperationCanceledException or TimeoutException } =>
                $"STARTTLS handshake did not complete within {_firewall.TlsHandshakeTimeout.TotalSeconds:0.#}s",
            SmtpCommandException cmd => $"STARTTLS refused: {Describe(cmd)}",
            SslHandshakeException { InnerException: { } inner } => $"TLS handshake failed: {inner.Message}",
            _ => $"TLS handshake failed: {ex.Message}",
        };
        return (AttemptOutcome.TlsFailed, ex is SmtpCommandException command ? (int)command.StatusCode : 0, detail);
    }

    /// <summary>SMTP AUTH with the firewall's credentials; null on success. Never over plain text unless allowed.</summary>
    private async Task<(AttemptOutcome?, int, string)?> AuthenticateAsync(RelaySmtpClient client, FirewallCredentials credentials, CancellationToken cancellationToken)
    {
        if (!client.IsSecure && !_firewall.AuthAllowInsecure)
            return (AttemptOutcome.AuthFailed, 0,
                "credentials not sent: the connection is not TLS (the firewall did not offer STARTTLS) and auth-allow-insecure is off");
        if (!client.Capabilities.HasFlag(SmtpCapabilities.Authentication))
            return (AttemptOutcome.AuthFailed, 0,
                client.IsSecure ? "the firewall does not offer AUTH" : "the firewall does not offer AUTH on a connection without TLS");

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_firewall.CommandTimeout);
        client.Timeout = (int)_firewall.CommandTimeout.TotalMilliseconds;
        // One mechanism only: MailKit would try each offered one in turn, and every try with a wrong password
        // counts towards the firewall's lockout of the account.
        if (PreferredMechanisms.FirstOrDefault(client.AuthenticationMechanisms.Contains) is { } mechanism)
            client.AuthenticationMechanisms.IntersectWith([mechanism]);
        try
        {
            await client.AuthenticateAsync(new NetworkCredential(credentials.User, credentials.Password), deadline.Token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            client.Dispose();
            throw;
        }
        catch (MailKit.Security.AuthenticationException ex)
        {
            return (AttemptOutcome.AuthFailed, 535, $"AUTH as {credentials.User} refused: {ex.Message}");
        }
        catch (SmtpCommandException ex)
        {
            return (AttemptOutcome.AuthFailed, (int)ex.StatusCode, $"AUTH as {credentials.User} refused: {Describe(ex)}");
        }
        catch (NotSupportedException ex)
        {
            return (AttemptOutcome.AuthFailed, 0, $"AUTH as {credentials.User} impossible: {ex.Message}");
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            return (AttemptOutcome.CommandTimeout, 0, $"no reply to AUTH within {_firewall.CommandTimeout.TotalSeconds:0.#}s");
        }
        catch (Exception ex) when (ex is IOException or SocketException or SmtpProtocolException or ServiceNotConnectedException)
        {
            return (AttemptOutcome.ConnectionLost, 0, $"connection lost during AUTH: {ex.Message}");
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

    private static string Describe(SmtpCommandException ex) => $"{(int)ex.StatusCode} {ex.Message}";

    private static MailboxAddress ToMailbox(string address) => address.Length == 0
        ? new MailboxAddress(string.Empty, string.Empty)
        : MailboxAddress.Parse(ParserOptions.Default, address);
}
