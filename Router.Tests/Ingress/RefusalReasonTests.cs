using Router.Actors.Ingress;
using Router.Actors.Ingress.Auth;
using SmtpServer.Protocol;

namespace Router.Tests.Ingress;

/// <summary>Every refusal the edge writes gets its own reason label; other replies none.</summary>
public sealed class RefusalReasonTests
{
    private static string Line(SmtpResponse response) => EnhancedReplies.Polish($"{(int)response.ReplyCode} {response.Message}", continuation: false);

    public static TheoryData<string, string> Refusals => new()
    {
        { Line(SmtpReplies.RelayDenied), RefusalReason.RelayDenied },
        { Line(SmtpReplies.NoRoute("example.net")), RefusalReason.NoRoute },
        { Line(SmtpReplies.MessageTooBig(1000)), RefusalReason.MessageTooBig },
        { EnhancedReplies.Polish("552 message size exceeds fixed maximium message size", false), RefusalReason.MessageTooBig },
        { Line(SmtpReplies.TooManyRecipients(100)), RefusalReason.TooManyRecipients },
        { Line(SmtpReplies.BadRecipient), RefusalReason.BadAddress },
        { Line(SmtpReplies.TemporaryFailure), RefusalReason.StoreFailed },
        { Line(SmtpReplies.BareLineEnding("a bare LF")), RefusalReason.BareLineEnding },
        { Line(SmtpReplies.MailLoop(30)), RefusalReason.Loop },
        { Line(SmtpReplies.InsufficientStorage), RefusalReason.BackPressure },
        { Line(SmtpReplies.ShuttingDown), RefusalReason.ShuttingDown },
        { LimitReplies.TooManyConnectionsFromAddress, RefusalReason.ConnectionsPerIp },
        { "421 4.7.0 Too many connections, try again later", RefusalReason.Connections },
        { LimitReplies.TooManyErrors, RefusalReason.TooManyErrors },
        { LimitReplies.CommandTimeout, RefusalReason.Timeout },
        { LimitReplies.DataTimeout, RefusalReason.Timeout },
        { LimitReplies.InflightOverflow, RefusalReason.Inflight },
        { Line(LimitReplies.InflightFull), RefusalReason.Inflight },
        { LimitReplies.CommandLineTooLong(512), RefusalReason.LineTooLong },
        { Line(LimitReplies.TextLineTooLong(1000)), RefusalReason.LineTooLong },
        { Line(LimitReplies.NonAsciiAddress), RefusalReason.BadAddress },
        { Line(LimitReplies.BadSenderSyntax), RefusalReason.BadAddress },
        { Line(LimitReplies.BadRecipientSyntax), RefusalReason.BadAddress },
        { Line(SecurityReplies.MustStartTls), RefusalReason.TlsRequired },
        { Line(SecurityReplies.EncryptionRequired), RefusalReason.TlsRequired },
        { Line(SecurityReplies.InvalidCredentials), RefusalReason.AuthFailed },
        { Line(SecurityReplies.AuthNotAvailable), RefusalReason.AuthFailed },
        { Line(SecurityReplies.UnknownMechanism), RefusalReason.AuthFailed },
        { Line(SecurityReplies.CannotDecode), RefusalReason.AuthFailed },
        { Line(SecurityReplies.Cancelled), RefusalReason.AuthFailed },
        { Line(SecurityReplies.TooManyFailures), RefusalReason.AuthBlocked },
        { Line(SecurityReplies.ClientBlocked), RefusalReason.AuthBlocked },
        { Line(Router.Actors.Ingress.Inbound.InboundReplies.UnknownRecipient("x@corp.example")), RefusalReason.UnknownRecipient },
        { Line(Router.Actors.Ingress.Inbound.InboundReplies.VerificationUnavailable(new(Router.Actors.Ingress.Inbound.CalloutVerdict.Temporary, "t", NoAnswer: true))), RefusalReason.RecipientVerification },
        { Line(Router.Actors.Ingress.Inbound.InboundReplies.VerificationUnavailable(new(Router.Actors.Ingress.Inbound.CalloutVerdict.Temporary, "t"))), RefusalReason.RecipientVerification },
        { Line(Router.Actors.Ingress.Inbound.InboundReplies.AuthenticationRequired), RefusalReason.AuthRequired },
        { EnhancedReplies.Polish("500 Syntax error, command unrecognized", false), RefusalReason.Protocol },
        { EnhancedReplies.Polish("503 Bad sequence of commands", false), RefusalReason.Protocol },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Each_refusal_has_its_reason(string line, string reason)
    {
        Assert.Equal(reason, RefusalReason.Of(line));
        Assert.Contains(reason, RefusalReason.All);
    }

    [Theory]
    [InlineData("250 2.0.0 Ok: queued as 38H3G104M00DMHPW")]
    [InlineData("220 router.test ESMTP")]
    [InlineData("354 End data with <CR><LF>.<CR><LF>")]
    [InlineData("334 VXNlcm5hbWU6")]
    [InlineData("554-a continuation line")]
    [InlineData("55")]
    public void Other_replies_are_no_refusal(string line) => Assert.Null(RefusalReason.Of(line));

    [Fact]
    public void The_label_set_is_small_and_distinct() =>
        Assert.Equal(RefusalReason.All.Count, RefusalReason.All.Distinct(StringComparer.Ordinal).Count());
}
