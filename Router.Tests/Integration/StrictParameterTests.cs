using Router.Actors.Ingress.Auth;
using Router.Testing;
using Router.Testing.Firewalls;
using Router.Testing.Smtp;

namespace Router.Tests.Integration;

/// <summary>
/// Issue 23: every MAIL and RCPT parameter is checked against what the EHLO reply offers
/// (PIPELINING, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES, DSN, CHUNKING, SIZE; AUTH where configured). Unknown or
/// not offered: 555 5.5.4 (RFC 5321 §4.1.1.11); malformed: 501 5.5.4; SIZE over the limit:
/// 552 5.3.4 at MAIL (RFC 1870). One router serves every case; each case is its own session.
/// </summary>
public sealed class StrictParameterTests(StrictParameterTests.Node node) : IClassFixture<StrictParameterTests.Node>
{
    public const long MaxSize = 10000;

    public sealed class Node : IAsyncLifetime
    {
        internal FakeFirewall Firewall { get; private set; } = null!;
        internal TestRouter Router { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Firewall = await FakeFirewall.StartAsync("fw-a");
            Router = await TestRouter.StartAsync($$"""
                smtp { max-message-size = {{MaxSize}} }
                firewalls { fw-a { host = "127.0.0.1", port = {{Firewall.Port}} } }
                connectors { out { address-spaces = ["*;1"], firewalls = [fw-a] } }
                """);
        }

        public async Task DisposeAsync()
        {
            await Router.DisposeAsync();
            await Firewall.DisposeAsync();
        }
    }

    private async Task<string> MailAsync(string mail)
    {
        var (session, _) = await RawSmtpSession.OpenAsync(node.Router.Smtp);
        using var _ = session;
        Assert.StartsWith("250", await session.ReplyAsync("EHLO client.test"));
        return await session.ReplyAsync(mail);
    }

    private async Task<string> RcptAsync(string rcpt)
    {
        var (session, _) = await RawSmtpSession.OpenAsync(node.Router.Smtp);
        using var _ = session;
        Assert.StartsWith("250", await session.ReplyAsync("EHLO client.test"));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("MAIL FROM:<a@example.org>"));
        return await session.ReplyAsync(rcpt);
    }

    [Theory]
    [InlineData("SIZE=1000", "250 2.0.0 Ok")]
    [InlineData("SIZE=10000", "250 2.0.0 Ok")]
    [InlineData("SIZE=0", "250 2.0.0 Ok")]
    [InlineData("SIZE=10001", "552 5.3.4 Message size exceeds fixed maximum message size (10000 bytes)")]
    [InlineData("SIZE=99999999999999999999", "552 5.3.4 Message size exceeds fixed maximum message size (10000 bytes)")]
    [InlineData("SIZE=999999999999999999999", "501 5.5.4 Bad SIZE parameter: expected SIZE=<number of octets>")]
    [InlineData("SIZE=abc", "501 5.5.4 Bad SIZE parameter: expected SIZE=<number of octets>")]
    [InlineData("SIZE=-1", "501 5.5.4 Bad SIZE parameter: expected SIZE=<number of octets>")]
    [InlineData("SIZE", "501 5.5.4 Bad SIZE parameter: expected SIZE=<number of octets>")]
    [InlineData("SIZE=", "501 5.5.4 Bad SIZE parameter: expected SIZE=<number of octets>")]
    [InlineData("SIZE=10 SIZE=10", "501 5.5.4 Parameter SIZE given more than once")]
    public async Task Size_is_a_number_of_octets_and_over_the_limit_is_552_5_3_4_at_mail(string parameter, string expected) =>
        Assert.Equal(expected, await MailAsync($"MAIL FROM:<a@example.org> {parameter}"));

    [Theory]
    [InlineData("BODY=7BIT", "250 2.0.0 Ok")]
    [InlineData("BODY=8BITMIME", "250 2.0.0 Ok")]
    [InlineData("body=8bitmime", "250 2.0.0 Ok")]
    [InlineData("BODY=BINARYMIME", "555 5.5.4 BODY=BINARYMIME is not supported here")]
    [InlineData("BODY=9BIT", "501 5.5.4 Bad BODY parameter: expected BODY=7BIT or BODY=8BITMIME")]
    [InlineData("BODY", "501 5.5.4 Bad BODY parameter: expected BODY=7BIT or BODY=8BITMIME")]
    public async Task Body_takes_7bit_and_8bitmime_which_is_offered_and_refuses_binarymime_which_is_not(string parameter, string expected) =>
        Assert.Equal(expected, await MailAsync($"MAIL FROM:<a@example.org> {parameter}"));

    [Theory]
    [InlineData("SMTPUTF8", "250 2.0.0 Ok")]
    [InlineData("SMTPUTF8=YES", "501 5.5.4 Bad SMTPUTF8 parameter: SMTPUTF8 takes no value")]
    [InlineData("REQUIRETLS", "555 5.5.4 Parameter REQUIRETLS is not supported here")]
    [InlineData("FOO=BAR", "555 5.5.4 Parameter FOO is not supported here")]
    [InlineData("X-UNKNOWN", "555 5.5.4 Parameter X-UNKNOWN is not supported here")]
    [InlineData("=BAR", "501 5.5.4 Bad parameter keyword \"\"")]
    [InlineData("F_O=1", "501 5.5.4 Bad parameter keyword \"F_O\"")]
    public async Task Mail_parameters_of_extensions_not_offered_get_555_5_5_4_and_smtputf8_which_is_offered_takes_no_value(string parameter, string expected) =>
        Assert.Equal(expected, await MailAsync($"MAIL FROM:<a@example.org> {parameter}"));

    [Theory]
    [InlineData("RET=FULL", "250 2.0.0 Ok")]
    [InlineData("RET=HDRS ENVID=abc+2B1", "250 2.0.0 Ok")]
    [InlineData("RET=BODY", "501 5.5.4 Bad RET parameter: expected RET=FULL or RET=HDRS")]
    [InlineData("ENVID=a=b", "501 5.5.4 Bad ENVID parameter: expected ENVID=<xtext of at most 100 characters>")]
    [InlineData("ENVID=a+2", "501 5.5.4 Bad ENVID parameter: expected ENVID=<xtext of at most 100 characters>")]
    [InlineData("ENVID", "501 5.5.4 Bad ENVID parameter: expected ENVID=<xtext of at most 100 characters>")]
    public async Task Dsn_mail_parameters_ret_and_envid_are_checked(string parameter, string expected) =>
        Assert.Equal(expected, await MailAsync($"MAIL FROM:<a@example.org> {parameter}"));

    [Fact]
    public async Task Dsn_envid_longer_than_100_characters_gets_501_5_5_4() =>
        Assert.Equal("501 5.5.4 Bad ENVID parameter: expected ENVID=<xtext of at most 100 characters>",
            await MailAsync($"MAIL FROM:<a@example.org> ENVID={new string('e', 101)}"));

    [Theory]
    [InlineData("NOTIFY=NEVER", "250 2.0.0 Ok")]
    [InlineData("NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;b+40example.net", "250 2.0.0 Ok")]
    [InlineData("NOTIFY=NEVER,FAILURE", "501 5.5.4 Bad NOTIFY parameter: expected NOTIFY=NEVER or a list of SUCCESS, FAILURE, DELAY")]
    [InlineData("NOTIFY=FAILURE,FAILURE", "501 5.5.4 Bad NOTIFY parameter: expected NOTIFY=NEVER or a list of SUCCESS, FAILURE, DELAY")]
    [InlineData("NOTIFY=SOMETIMES", "501 5.5.4 Bad NOTIFY parameter: expected NOTIFY=NEVER or a list of SUCCESS, FAILURE, DELAY")]
    [InlineData("ORCPT=b@example.net", "501 5.5.4 Bad ORCPT parameter: expected ORCPT=<address type>;<xtext address>")]
    [InlineData("ORCPT=rfc822;", "501 5.5.4 Bad ORCPT parameter: expected ORCPT=<address type>;<xtext address>")]
    [InlineData("BAR=1", "555 5.5.4 Parameter BAR is not supported here")]
    [InlineData("SIZE=100", "555 5.5.4 Parameter SIZE is not supported here")]
    [InlineData("NOTIFY=NEVER NOTIFY=NEVER", "501 5.5.4 Parameter NOTIFY given more than once")]
    public async Task Rcpt_takes_the_dsn_parameters_well_formed_and_nothing_else(string parameter, string expected) =>
        Assert.Equal(expected, await RcptAsync($"RCPT TO:<b@example.net> {parameter}"));

    [Fact]
    public async Task Auth_parameter_is_refused_where_auth_is_not_offered() =>
        Assert.Equal("555 5.5.4 Parameter AUTH is not supported here", await MailAsync("MAIL FROM:<a@example.org> AUTH=<>"));

    [Fact]
    public async Task A_refused_mail_starts_no_transaction_and_a_refused_rcpt_adds_no_recipient()
    {
        var (session, _) = await RawSmtpSession.OpenAsync(node.Router.Smtp);
        using var _ = session;
        await session.SendAsync("EHLO client.test");
        Assert.StartsWith("555 5.5.4 ", await session.ReplyAsync("MAIL FROM:<a@example.org> FOO=BAR"));
        // The library is still waiting for MAIL.
        Assert.Equal("501 5.5.2 expected NOOP/RSET/QUIT/HELO/EHLO/MAIL", await session.ReplyAsync("RCPT TO:<b@example.net>"));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("MAIL FROM:<a@example.org>"));
        Assert.StartsWith("555 5.5.4 ", await session.ReplyAsync("RCPT TO:<b@example.net> BAR=1"));
        // No recipient: the library still wants RCPT.
        Assert.Equal("501 5.5.2 expected NOOP/RSET/QUIT/RCPT", await session.ReplyAsync("DATA"));
    }
}

/// <summary>Issue 23: AUTH= at MAIL (RFC 4954 §5) is taken where AUTH is offered, and checked.</summary>
public sealed class AuthParameterTests
{
    [Fact]
    public async Task Auth_parameter_is_taken_where_auth_is_offered_and_must_be_xtext_or_empty()
    {
        await using var fw = await FakeFirewall.StartAsync("fw-a");
        var hash = PasswordHash.Create("secret-pass", PasswordHash.MinIterations).ToString();
        await using var router = await TestRouter.StartAsync($$"""
            smtp {
              auth.users { alice = "{{hash}}" }
              auth.allow-insecure = on
            }
            firewalls { fw-a { host = "127.0.0.1", port = {{fw.Port}} } }
            connectors { out { address-spaces = ["*;1"], firewalls = [fw-a] } }
            """);
        var (session, _) = await RawSmtpSession.OpenAsync(router.Smtp);
        using var _ = session;
        Assert.Equal("250 AUTH PLAIN LOGIN", (await session.SendAsync("EHLO client.test")).Last());
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("MAIL FROM:<a@example.org> AUTH=<>"));
        Assert.StartsWith("250", await session.ReplyAsync("RSET"));
        Assert.Equal("250 2.0.0 Ok", await session.ReplyAsync("MAIL FROM:<a@example.org> AUTH=alice+40example.org"));
        Assert.StartsWith("250", await session.ReplyAsync("RSET"));
        Assert.Equal("501 5.5.4 Bad AUTH parameter: expected AUTH=<> or AUTH=<xtext mailbox>", await session.ReplyAsync("MAIL FROM:<a@example.org> AUTH="));
    }
}
