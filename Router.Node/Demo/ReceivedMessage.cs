namespace Router.Node.Demo;

/// <summary>
/// One message a <see cref="FakeFirewall"/> took. <paramref name="Data"/> is the DATA content exactly as the
/// client meant it: dot-unstuffed, including the CRLF that ends the last line (not the terminating ".").
/// <paramref name="MailFrom"/> is empty for the null reverse-path.
/// </summary>
public sealed record ReceivedMessage(string MailFrom, IReadOnlyList<string> Recipients, byte[] Data, DateTimeOffset At);
