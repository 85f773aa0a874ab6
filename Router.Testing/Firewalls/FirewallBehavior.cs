namespace Router.Testing.Firewalls;

/// <summary>What a <see cref="FakeFirewall"/> does with the next connection or command.</summary>
public enum FirewallMode
{
    /// <summary>250 for everything; every message is recorded.</summary>
    Accept,

    /// <summary>The listener is closed: new connections are refused, open ones are reset.</summary>
    Refuse,

    /// <summary>New connections are accepted and never sent a byte (a blackhole).</summary>
    StallBeforeGreeting,

    /// <summary>New connections get <c>421 4.3.2 Service not available</c> and are closed.</summary>
    Greeting421,

    /// <summary>Every MAIL FROM gets <c>451 4.3.0 Try again later</c>.</summary>
    Reject451OnMail,

    /// <summary>RCPT for a local part starting with a prefix gets <c>550 5.1.1 User unknown</c>.</summary>
    Reject550Recipient,

    /// <summary>The whole DATA is read and recorded, then the connection is reset without a reply: the lost 250.</summary>
    DropAfterData,

    /// <summary>
    /// A message whose data contains a marker makes the firewall drop the connection without a reply
    /// and without keeping it (a poisonous message); every other message is accepted.
    /// </summary>
    DropOnMarker,

    /// <summary>Slow but alive: each new connection is greeted after a delay, each final dot answered after another (issue 18).</summary>
    Slow,

    /// <summary>New connections are greeted, then nothing more is answered (a firewall that stalls at EHLO).</summary>
    StallAtEhlo,

    /// <summary>Sessions are greeted and EHLO answered; MAIL FROM on any session is never answered.</summary>
    StallAtMail,

    /// <summary>New connections are greeted, then reset.</summary>
    ResetAfterGreeting,

    /// <summary>
    /// Nothing is accepted and SYNs go unanswered: the port listens with a full backlog (see
    /// <see cref="ChokedListener"/>), so connects time out instead of being refused. Open connections are reset.
    /// </summary>
    NeverAccept,
}

/// <summary>
/// The behaviour of a <see cref="FakeFirewall"/>. Connection-level modes (refuse, stall, 421) apply to
/// connections accepted after the change; command-level modes apply to the next command on any session.
/// </summary>
public sealed record FirewallBehavior
{
    FirewallBehavior(FirewallMode mode, string? rejectedRecipientPrefix = null, string? marker = null)
    {
        Mode = mode;
        RejectedRecipientPrefix = rejectedRecipientPrefix;
        Marker = marker;
    }

    /// <summary>Set only for <see cref="FirewallMode.DropOnMarker"/>: the ASCII text that poisons a message.</summary>
    public string? Marker { get; }

    public static FirewallBehavior DropOnMarker(string marker)
    {
        ArgumentException.ThrowIfNullOrEmpty(marker);
        return new(FirewallMode.DropOnMarker, marker: marker);
    }

    public FirewallMode Mode { get; }

    /// <summary>Set only for <see cref="FirewallMode.Reject550Recipient"/>; compared case-insensitively.</summary>
    public string? RejectedRecipientPrefix { get; }

    public static FirewallBehavior Accept { get; } = new(FirewallMode.Accept);

    public static FirewallBehavior Refuse { get; } = new(FirewallMode.Refuse);

    public static FirewallBehavior StallBeforeGreeting { get; } = new(FirewallMode.StallBeforeGreeting);

    public static FirewallBehavior Greeting421 { get; } = new(FirewallMode.Greeting421);

    public static FirewallBehavior Reject451OnMail { get; } = new(FirewallMode.Reject451OnMail);

    public static FirewallBehavior DropAfterData { get; } = new(FirewallMode.DropAfterData);

    public static FirewallBehavior StallAtEhlo { get; } = new(FirewallMode.StallAtEhlo);

    public static FirewallBehavior StallAtMail { get; } = new(FirewallMode.StallAtMail);

    public static FirewallBehavior ResetAfterGreeting { get; } = new(FirewallMode.ResetAfterGreeting);

    public static FirewallBehavior NeverAccept { get; } = new(FirewallMode.NeverAccept);

    /// <summary>Greets each new connection after <paramref name="greeting"/> and answers each final dot after <paramref name="endOfData"/>.</summary>
    public static FirewallBehavior Slow(TimeSpan greeting, TimeSpan endOfData)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(greeting, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(endOfData, TimeSpan.Zero);
        return new(FirewallMode.Slow) { GreetingDelay = greeting, EndOfDataDelay = endOfData };
    }

    /// <summary>Set only for <see cref="FirewallMode.Slow"/>.</summary>
    public TimeSpan GreetingDelay { get; private init; }

    /// <summary>Set only for <see cref="FirewallMode.Slow"/>.</summary>
    public TimeSpan EndOfDataDelay { get; private init; }

    public static FirewallBehavior Reject550Recipient(string localPartPrefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(localPartPrefix);
        return new(FirewallMode.Reject550Recipient, localPartPrefix);
    }

    /// <summary>As <see cref="Reject550Recipient"/>, and RCPT for a second prefix gets <c>450 4.2.0</c> (a temporary refusal).</summary>
    public static FirewallBehavior Reject550Or450Recipient(string permanentPrefix, string temporaryPrefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(temporaryPrefix);
        return Reject550Recipient(permanentPrefix) with { DeferredRecipientPrefix = temporaryPrefix };
    }

    /// <summary>RCPT for a local part starting with this prefix gets 450 4.2.0; only with <see cref="FirewallMode.Reject550Recipient"/>.</summary>
    public string? DeferredRecipientPrefix { get; private init; }

    internal bool DefersRecipient(string localPart) =>
        Mode == FirewallMode.Reject550Recipient && DeferredRecipientPrefix is { } prefix
        && localPart.StartsWith(prefix, StringComparison.OrdinalIgnoreCase);

    internal bool RejectsRecipient(string localPart) =>
        Mode == FirewallMode.Reject550Recipient
        && localPart.StartsWith(RejectedRecipientPrefix!, StringComparison.OrdinalIgnoreCase);

    public override string ToString() =>
        (RejectedRecipientPrefix ?? Marker) is { } argument ? $"{Mode}({argument})" : Mode.ToString();
}
