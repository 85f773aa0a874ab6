namespace Router.Actors.Ingress;

/// <summary>
/// What the EHLO reply offers a session now, as far as MAIL and RCPT parameters go (see
/// <see cref="RouterEhloCommand"/>): a parameter of an extension not offered here is refused
/// (<see cref="ParameterPolicy"/>). 8BITMIME, SMTPUTF8, DSN and SIZE are always offered.
/// </summary>
/// <param name="MaxMessageSize">The SIZE the EHLO reply announces.</param>
/// <param name="Auth">AUTH is offered to this session, or it has authenticated: the MAIL AUTH= parameter is known (RFC 4954 §5).</param>
/// <param name="RequireTls">REQUIRETLS is offered (RFC 8689): the listener has a STARTTLS certificate.</param>
/// <param name="Secure">The session runs over TLS: only then is MAIL ... REQUIRETLS taken.</param>
public sealed record EsmtpOffer(long MaxMessageSize, bool Auth, bool RequireTls = false, bool Secure = false);
