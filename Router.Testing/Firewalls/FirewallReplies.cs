using System.Text;
using SmtpServer.Protocol;

namespace Router.Testing.Firewalls;

/// <summary>The replies a <see cref="FakeFirewall"/> gives when told to fail, with their enhanced status codes.</summary>
internal static class FirewallReplies
{
    public static readonly byte[] Greeting421 = Encoding.ASCII.GetBytes("421 4.3.2 Service not available\r\n");

    /// <summary>The greeting SmtpServer would send, for the shapes that greet and then misbehave.</summary>
    public static byte[] Greeting(string name) => Encoding.ASCII.GetBytes($"220 {name} ESMTP ready\r\n");

    // SmtpServer appends ", N retry(ies) remaining." to the text of a thrown response; code and enhanced code stay exact.
    public static readonly SmtpResponse TryAgainLater = new(SmtpReplyCode.Aborted, "4.3.0 Try again later");

    public static readonly SmtpResponse UserUnknown = new(SmtpReplyCode.MailboxUnavailable, "5.1.1 User unknown");

    public static readonly SmtpResponse MailboxBusy = new(SmtpReplyCode.Unavailable, "4.2.0 Mailbox busy, try again later");

    // Never sent: DataCommand sends no reply at all when SaveAsync throws an SmtpResponseException.
    public static readonly SmtpResponse Dropped = new(SmtpReplyCode.TransactionFailed, "5.3.0 dropped");
}
