using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Router.Actors.Configuration;
using Router.Actors.Health.Latency;
using Router.Messages.Delivery;

namespace Router.Actors.Delivery;

/// <summary>
/// Sets up an SMTP session with one firewall as its options say: TCP connect, greeting and EHLO, STARTTLS per
/// <c>tls</c>, AUTH when credentials are configured. Apart from <see cref="FirewallConnection"/>, which sends
/// messages over the session, because setting it up is its own protocol with its own timeouts and failure kinds.
/// </summary>
internal sealed class FirewallSessionOpener
{
    /// <summary>SASL mechanisms in order of preference; the first the firewall offers is the one tried.</summary>
    private static readonly string[] PreferredMechanisms =
        ["SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "LOGIN", "CRAM-MD5"];

    private readonly FirewallOptions _firewall;
    private readonly LatencyBook _latencies;
    private readonly bool _judged;

    /// <param name="judged">
    /// Whether the firewall's history shortens the waits (delivery), or only the fixed timeouts apply (the health
    /// probe: it asks whether the firewall is alive, so a slow but working firewall passes it and clears suspicion).
    /// Both record what they measure.
    /// </param>
    public FirewallSessionOpener(FirewallOptions firewall, LatencyBook latencies, bool judged = true)
    {
        _firewall = firewall;
        _latencies = latencies;
        _judged = judged;
    }

    /// <summary>The wait allowed in <paramref name="phase"/>: the adaptive threshold capped by <paramref name="fixedTimeout"/>, or the fixed timeout alone.</summary>
    private TimeSpan Deadline(DeliveryPhase phase, TimeSpan fixedTimeout) =>
        _judged ? _latencies.Deadline(phase, fixedTimeout) : fixedTimeout;

    /// <summary>
    /// A wait that began with nothing to judge it by (this firewall has no history of the step, and neither had the
    /// node's other firewalls yet: a fresh node opens them all at once) asks for its deadline again every <see cref="Interval"/> while
    /// it runs, so the first connections to a dead firewall are given up as soon as the others have shown how fast a
    /// firewall answers here, not after the fixed timeout.
    /// </summary>
    private sealed class ColdRejudge : IDisposable
    {
        private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
        private readonly FirewallSessionOpener _opener;
        private readonly DeliveryPhase _phase;
        private readonly TimeSpan _fixedTimeout;
        private readonly CancellationTokenSource _deadline;
        private readonly Func<bool> _stillWaiting;
        private readonly long _started = Stopwatch.GetTimestamp();
        private readonly Timer _timer;
        private readonly Lock _gate = new();
        private bool _disposed;

        private ColdRejudge(FirewallSessionOpener opener, DeliveryPhase phase, TimeSpan fixedTimeout, TimeSpan limit, CancellationTokenSource deadline, Func<bool> stillWaiting)
        {
            _opener = opener;
            _phase = phase;
            _fixedTimeout = fixedTimeout;
            _deadline = deadline;
            _stillWaiting = stillWaiting;
            Limit = limit;
            _timer = new Timer(_ => Tick(), null, Interval, Interval);
        }

        /// <summary>The deadline the wait has now (shorter than at its start once it was judged).</summary>
        public TimeSpan Limit { get; private set; }

        public static ColdRejudge? Start(FirewallSessionOpener opener, DeliveryPhase phase, TimeSpan fixedTimeout, TimeSpan limit, CancellationTokenSource deadline,
            Func<bool> stillWaiting) =>
            opener._judged && limit >= fixedTimeout && opener._latencies.Cold(phase)
                ? new ColdRejudge(opener, phase, fixedTimeout, limit, deadline, stillWaiting)
                : null;

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                _timer.Dispose();
            }
        }

        private void Tick()
        {
            lock (_gate)
            {
                if (_disposed || !_stillWaiting())
                    return;
                var limit = _opener.Deadline(_phase, _fixedTimeout);
                if (limit >= Limit)
                    return;
                Limit = limit;
                var left = limit - Stopwatch.GetElapsedTime(_started);
                try
                {
                    if (left <= TimeSpan.Zero)
                        _deadline.Cancel();
                    else
                        _deadline.CancelAfter(left);
                }
                catch (ObjectDisposedException)
                {
                    // The wait ended meanwhile.
                }
            }
        }
    }

    /// <summary>
    /// Opens the session as the firewall's options say: TCP connect, greeting and EHLO, STARTTLS per
    /// <c>tls</c>, AUTH when credentials are configured. Each step has its own timeout (MailKit alone
    /// would fold them into one operation) and its own outcome: a refused port, a blackholed address, a
    /// firewall that never greets, a TLS failure and refused credentials are different faults. The
    /// health probe opens its sessions here too. On success the outcome is null and the caller owns the client
    /// and the socket; on failure both are disposed.
    /// </summary>
    /// <remarks><c>HedgedIn</c> is the step given up at its adaptive threshold, before its fixed timeout (null when none was).</remarks>
    public async Task<(AttemptOutcome? Outcome, int Code, string Detail, RelaySmtpClient? Client, Socket? Socket, DeliveryPhase? HedgedIn)> OpenAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            var connectStarted = Stopwatch.GetTimestamp();
            using (var connectDeadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                var connectLimit = Deadline(DeliveryPhase.Connect, _firewall.ConnectTimeout);
                connectDeadline.CancelAfter(connectLimit);
                using var connectRejudge = ColdRejudge.Start(this, DeliveryPhase.Connect, _firewall.ConnectTimeout, connectLimit, connectDeadline, () => true);
                try
                {
                    await socket.ConnectAsync(_firewall.Host, _firewall.Port, connectDeadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    connectLimit = connectRejudge?.Limit ?? connectLimit;
                    socket.Dispose();
                    return (AttemptOutcome.ConnectTimeout, 0, $"no connection within {Waited(connectLimit, _firewall.ConnectTimeout)}", null, null,
                        connectLimit < _firewall.ConnectTimeout ? DeliveryPhase.Connect : null);
                }
                catch (SocketException ex)
                {
                    socket.Dispose();
                    return (AttemptOutcome.ConnectFailed, 0, $"connect failed: {ex.SocketErrorCode}", null, null, null);
                }
            }

            var connected = Stopwatch.GetTimestamp();
            _latencies.Record(DeliveryPhase.Connect, Stopwatch.GetElapsedTime(connectStarted, connected));
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
            // Each wait has its own deadline: the firewall's history of that step (far outside it, the
            // attempt is given up and its job placed elsewhere), never longer than the step's fixed timeout.
            var greetingLimit = Deadline(DeliveryPhase.Greeting, _firewall.GreetingTimeout);
            // The EHLO has always been bounded by greeting-timeout too (MailKit sends it in the same call).
            var ehloTimeout = _firewall.CommandTimeout < _firewall.GreetingTimeout ? _firewall.CommandTimeout : _firewall.GreetingTimeout;
            var ehloLimit = Deadline(DeliveryPhase.Ehlo, ehloTimeout);
            var startTlsLimit = Deadline(DeliveryPhase.StartTls, _firewall.TlsHandshakeTimeout);
            greetingDeadline.CancelAfter(greetingLimit);
            using var greetingRejudge = ColdRejudge.Start(this, DeliveryPhase.Greeting, _firewall.GreetingTimeout, greetingLimit, greetingDeadline,
                () => phase.GreetingAt == 0);
            ColdRejudge? ehloRejudge = null;
            phase.OnGreeting = () =>
            {
                greetingRejudge?.Dispose();
                // Judged when the EHLO goes out, not when the connect began: a fresh node's other firewalls may have
                // answered their first EHLOs meanwhile, and while none has, the wait is judged again as it runs.
                ehloLimit = Deadline(DeliveryPhase.Ehlo, ehloTimeout);
                greetingDeadline.CancelAfter(ehloLimit);
                ehloRejudge = ColdRejudge.Start(this, DeliveryPhase.Ehlo, ehloTimeout, ehloLimit, greetingDeadline, () => !phase.StartTlsSent);
            };
            // From STARTTLS on, the handshake (and the EHLO after it) has its own timeout.
            phase.OnStartTls = () =>
            {
                ehloRejudge?.Dispose();
                greetingDeadline.CancelAfter(startTlsLimit);
            };
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
                ehloRejudge?.Dispose();
                ehloLimit = ehloRejudge?.Limit ?? ehloLimit;
                client.Dispose();
                socket.Dispose();
                var tls = phase.StartTlsSent || ex is SslHandshakeException || (ex is NotSupportedException && _firewall.Tls >= FirewallTls.Required);
                var (outcome, code, detail) = tls
                    ? TlsFailure(ex, certificates.LastFailure, startTlsLimit)
                    : ex switch
                    {
                        OperationCanceledException or TimeoutException when phase.GreetingAt == 0 =>
                            (AttemptOutcome.GreetingTimeout, 0, $"no greeting within {Waited(greetingLimit = greetingRejudge?.Limit ?? greetingLimit, _firewall.GreetingTimeout)}"),
                        OperationCanceledException or TimeoutException =>
                            (AttemptOutcome.CommandTimeout, 0, $"no reply to EHLO within {Waited(ehloLimit, ehloTimeout)}"),
                        SmtpCommandException cmd => (AttemptOutcome.SessionRefused, (int)cmd.StatusCode, Describe(cmd)),
                        _ => (AttemptOutcome.SessionRefused, 0, $"session failed: {ex.Message}"),
                    };
                // Given up at the learnt threshold of the step it was waiting in, short of that step's fixed timeout.
                var timedOut = ex is OperationCanceledException or TimeoutException
                    || ex is SslHandshakeException { InnerException: OperationCanceledException or TimeoutException };
                DeliveryPhase? hedgedIn = !timedOut ? null
                    : phase.StartTlsSent ? (startTlsLimit < _firewall.TlsHandshakeTimeout ? DeliveryPhase.StartTls : null)
                    : phase.GreetingAt == 0 ? (greetingLimit < _firewall.GreetingTimeout ? DeliveryPhase.Greeting : null)
                    : ehloLimit < ehloTimeout ? DeliveryPhase.Ehlo : null;
                return (outcome, code, detail, null, null, hedgedIn);
            }
            ehloRejudge?.Dispose();
            phase.Settled = true;
            RecordOpening(phase, connected, Stopwatch.GetTimestamp());

            if (_firewall.Auth is { } credentials)
            {
                var authStarted = Stopwatch.GetTimestamp();
                var (failure, authHedged) = await AuthenticateAsync(client, credentials, cancellationToken).ConfigureAwait(false);
                if (failure is not null)
                {
                    client.Dispose();
                    socket.Dispose();
                    var (outcome, code, detail) = failure.Value;
                    return (outcome, code, detail, null, null, authHedged ? DeliveryPhase.Auth : null);
                }
                _latencies.Record(DeliveryPhase.Auth, Stopwatch.GetElapsedTime(authStarted));
            }

            client.Timeout = (int)_firewall.CommandTimeout.TotalMilliseconds;
            return (null, 0, string.Empty, client, socket, null);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Greeting, EHLO and STARTTLS (handshake and the EHLO after it) of a session that opened.</summary>
    private void RecordOpening(SessionPhase phase, long connected, long opened)
    {
        if (phase.GreetingAt == 0)
            return;
        _latencies.Record(DeliveryPhase.Greeting, Stopwatch.GetElapsedTime(connected, phase.GreetingAt));
        if (phase.EhloSentAt != 0)
            _latencies.Record(DeliveryPhase.Ehlo, Stopwatch.GetElapsedTime(phase.EhloSentAt, phase.StartTlsSent ? phase.StartTlsAt : opened));
        if (phase.StartTlsSent)
            _latencies.Record(DeliveryPhase.StartTls, Stopwatch.GetElapsedTime(phase.StartTlsAt, opened));
    }

    /// <summary>"10s", or, when the firewall's history cut the wait short, "1.2s (far outside its history; timeout 10s)".</summary>
    internal static string Waited(TimeSpan limit, TimeSpan fixedTimeout) => limit < fixedTimeout
        ? $"{limit.TotalSeconds:0.###}s (far outside its history; timeout {fixedTimeout.TotalSeconds:0.#}s)"
        : $"{fixedTimeout.TotalSeconds:0.#}s";

    /// <summary>The name TLS is negotiated for: SNI and, under <c>tls = verify</c>, the name the certificate must carry.</summary>
    private string TlsServerName => _firewall.TlsServerName ?? _firewall.Host;

    private SecureSocketOptions SecureSocketOptions => _firewall.Tls switch
    {
        FirewallTls.None => SecureSocketOptions.None,
        FirewallTls.Opportunistic => SecureSocketOptions.StartTlsWhenAvailable,
        _ => SecureSocketOptions.StartTls,
    };

    private (AttemptOutcome?, int, string) TlsFailure(Exception ex, string? certificateProblem, TimeSpan limit)
    {
        var mode = _firewall.Tls.ToString().ToLowerInvariant();
        var detail = ex switch
        {
            NotSupportedException => $"the firewall does not offer STARTTLS (tls = {mode}); nothing is sent in clear text",
            _ when certificateProblem is not null => $"certificate refused (tls = {mode}): {certificateProblem}",
            OperationCanceledException or TimeoutException or SslHandshakeException { InnerException: OperationCanceledException or TimeoutException } =>
                $"STARTTLS handshake did not complete within {Waited(limit, _firewall.TlsHandshakeTimeout)}",
            SmtpCommandException cmd => $"STARTTLS refused: {Describe(cmd)}",
            SslHandshakeException { InnerException: { } inner } => $"TLS handshake failed: {inner.Message}",
            _ => $"TLS handshake failed: {ex.Message}",
        };
        return (AttemptOutcome.TlsFailed, ex is SmtpCommandException command ? (int)command.StatusCode : 0, detail);
    }

    /// <summary>SMTP AUTH with the firewall's credentials; null on success. Never over plain text unless allowed.</summary>
    private async Task<((AttemptOutcome?, int, string)? Failure, bool Hedged)> AuthenticateAsync(RelaySmtpClient client, FirewallCredentials credentials, CancellationToken cancellationToken)
    {
        if (!client.IsSecure && !_firewall.AuthAllowInsecure)
            return ((AttemptOutcome.AuthFailed, 0,
                "credentials not sent: the connection is not TLS (the firewall did not offer STARTTLS) and auth-allow-insecure is off"), false);
        if (!client.Capabilities.HasFlag(SmtpCapabilities.Authentication))
            return ((AttemptOutcome.AuthFailed, 0,
                client.IsSecure ? "the firewall does not offer AUTH" : "the firewall does not offer AUTH on a connection without TLS"), false);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var authLimit = Deadline(DeliveryPhase.Auth, _firewall.CommandTimeout);
        deadline.CancelAfter(authLimit);
        client.Timeout = (int)_firewall.CommandTimeout.TotalMilliseconds;
        // One mechanism only: MailKit would try each offered one in turn, and every try with a wrong password
        // counts towards the firewall's lockout of the account.
        if (PreferredMechanisms.FirstOrDefault(client.AuthenticationMechanisms.Contains) is { } mechanism)
            client.AuthenticationMechanisms.IntersectWith([mechanism]);
        try
        {
            await client.AuthenticateAsync(new NetworkCredential(credentials.User, credentials.Password), deadline.Token).ConfigureAwait(false);
            return (null, false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            client.Dispose();
            throw;
        }
        catch (MailKit.Security.AuthenticationException ex)
        {
            return ((AttemptOutcome.AuthFailed, 535, $"AUTH as {credentials.User} refused: {ex.Message}"), false);
        }
        catch (SmtpCommandException ex)
        {
            return ((AttemptOutcome.AuthFailed, (int)ex.StatusCode, $"AUTH as {credentials.User} refused: {Describe(ex)}"), false);
        }
        catch (NotSupportedException ex)
        {
            return ((AttemptOutcome.AuthFailed, 0, $"AUTH as {credentials.User} impossible: {ex.Message}"), false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            return ((AttemptOutcome.CommandTimeout, 0, $"no reply to AUTH within {Waited(authLimit, _firewall.CommandTimeout)}"),
                authLimit < _firewall.CommandTimeout);
        }
        catch (Exception ex) when (ex is IOException or SocketException or SmtpProtocolException or ServiceNotConnectedException)
        {
            return ((AttemptOutcome.ConnectionLost, 0, $"connection lost during AUTH: {ex.Message}"), false);
        }
    }

    /// <summary>A refusal as logged and reported: its status code and text.</summary>
    public static string Describe(SmtpCommandException ex) => $"{(int)ex.StatusCode} {ex.Message}";
}
