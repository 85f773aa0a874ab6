using System.Buffers;
using System.Text;
using Router.Actors.Delivery;
using Router.Actors.Ingress;
using Router.Messages.Delivery;

namespace Router.Tests.Delivery;

/// <summary>Issue 23: what a message needs of a firewall, what a firewall offers, and the failure when none offers it.</summary>
public sealed class ExtensionRequirementsTests
{
    private static readonly DeliveryJob Job = new("Q1", "s@example.org", [0, 1], ["r@example.com", "t@example.com"], 100, "k", 0);

    private static FirewallCapabilities Capabilities(params string[] keywords) =>
        new(keywords.Contains("SMTPUTF8"), keywords.Contains("8BITMIME"), false, false, null, keywords.Contains("REQUIRETLS"));

    [Fact]
    public void Requiretls_counts_as_offered_only_on_a_verified_session()
    {
        var offered = Capabilities("SMTPUTF8", "8BITMIME", "REQUIRETLS");

        Assert.Equal(MailExtensions.Smtputf8 | MailExtensions.EightBitMime | MailExtensions.RequireTls, ExtensionRequirements.Offered(offered, verifiedTls: true));
        Assert.Equal(MailExtensions.Smtputf8 | MailExtensions.EightBitMime, ExtensionRequirements.Offered(offered, verifiedTls: false));
    }

    [Fact]
    public void A_job_is_sent_back_unsent_for_what_the_firewall_lacks_and_goes_where_everything_is_offered()
    {
        var job = Job with { EightBit = true, RequireTls = true };

        var refused = ExtensionRequirements.Refuse(job, MailExtensions.EightBitMime, "fw-a");
        Assert.NotNull(refused);
        Assert.Equal(AttemptOutcome.ExtensionNotOffered, refused.Outcome);
        Assert.False(refused.DataSent);
        Assert.All(refused.Recipients, r => Assert.False(r.Delivered));
        Assert.Contains("fw-a does not offer REQUIRETLS", refused.Detail);

        Assert.Null(ExtensionRequirements.Refuse(job, MailExtensions.EightBitMime | MailExtensions.RequireTls, "fw-a"));
        Assert.Null(ExtensionRequirements.Refuse(Job, MailExtensions.None, "fw-a"));
    }

    [Fact]
    public void The_failure_names_the_rfc_status_of_the_missing_extension()
    {
        Assert.Equal((553, "5.6.7"), Pick(ExtensionRequirements.Failure(Job with { Recipients = ["müller@bücher.example", "t@example.com"], Smtputf8 = true }, MailExtensions.Smtputf8, ["fw-a"])));
        Assert.Equal((553, "5.6.9"), Pick(ExtensionRequirements.Failure(Job with { Smtputf8 = true }, MailExtensions.Smtputf8, ["fw-a"])));
        Assert.Equal((554, "5.6.3"), Pick(ExtensionRequirements.Failure(Job with { EightBit = true }, MailExtensions.EightBitMime, ["fw-a"])));
        var (code, status, diagnostic) = ExtensionRequirements.Failure(Job with { RequireTls = true }, MailExtensions.RequireTls, ["fw-a", "fw-b"]);
        Assert.Equal((550, "5.7.30"), (code, status));
        Assert.StartsWith("550 5.7.30 fw-a does not offer REQUIRETLS, fw-b does not offer REQUIRETLS; ", diagnostic);

        static (int, string) Pick((int Code, string Status, string Diagnostic) failure) => (failure.Code, failure.Status);
    }

    [Fact]
    public void Requiretls_is_named_first_then_smtputf8_then_8bitmime()
    {
        Assert.Equal(MailExtensions.RequireTls, ExtensionRequirements.First(MailExtensions.RequireTls | MailExtensions.Smtputf8 | MailExtensions.EightBitMime));
        Assert.Equal(MailExtensions.Smtputf8, ExtensionRequirements.First(MailExtensions.Smtputf8 | MailExtensions.EightBitMime));
        Assert.Equal(MailExtensions.EightBitMime, ExtensionRequirements.First(MailExtensions.EightBitMime));
        Assert.Equal(MailExtensions.None, ExtensionRequirements.First(MailExtensions.None));
    }

    [Fact]
    public void Eight_bit_content_is_a_byte_above_127_in_any_segment()
    {
        Assert.False(EightBitContent.Has(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("Subject: plain\r\n\r\nbody\r\n"))));
        Assert.True(EightBitContent.Has(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes("Subject: Grüße\r\n\r\nbody\r\n"))));
        Assert.True(EightBitContent.Has(Router.Testing.ChunkedSequence.Of(Encoding.ASCII.GetBytes("Subject: x\r\n"), [0x0D, 0x0A, 0xE9])));
    }

    [Fact]
    public void A_job_needs_what_its_flags_say()
    {
        Assert.Equal(MailExtensions.None, Job.Needs);
        Assert.Equal(MailExtensions.Smtputf8 | MailExtensions.EightBitMime | MailExtensions.RequireTls, (Job with { Smtputf8 = true, EightBit = true, RequireTls = true }).Needs);
    }
}
