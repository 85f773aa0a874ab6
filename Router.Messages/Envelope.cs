namespace Router.Messages;

/// <summary>
/// The SMTP envelope of one accepted message, as the client gave it. Recipients are kept in the
/// order received; a recipient is addressed everywhere by its index in <see cref="Recipients"/>.
/// </summary>
/// <param name="Sender">Reverse-path without angle brackets; empty for the null sender &lt;&gt;.</param>
/// <param name="Recipients">Forward-paths without angle brackets.</param>
/// <param name="ReceivedAt">When the router answered 250.</param>
/// <param name="ClientAddress">The connecting client's IP address, for logs and tracking.</param>
/// <param name="ClientHelo">The EHLO/HELO name the client gave.</param>
public sealed record Envelope(
    string Sender,
    IReadOnlyList<string> Recipients,
    DateTimeOffset ReceivedAt,
    string ClientAddress,
    string ClientHelo) : IRouterProtocol;
