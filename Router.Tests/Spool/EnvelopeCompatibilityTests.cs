using System.Text;
using System.Text.Json;
using Router.Actors.Spool;
using Router.Messages;

namespace Router.Tests.Spool;

/// <summary>Issue 23: the SMTPUTF8, 8-bit and REQUIRETLS flags are new in the spooled envelope; spools written before them must still load.</summary>
public sealed class EnvelopeCompatibilityTests
{
    [Fact]
    public void An_envelope_spooled_before_the_smtputf8_flag_existed_loads_as_not_internationalised()
    {
        const string old = """
            {"Sender":"a@example.org","Recipients":["b@example.net"],"ReceivedAt":"2026-11-28T18:30:15.123+01:00","ClientAddress":"10.1.2.3","ClientHelo":"mx.example.org","EnvelopeId":"env-1"}
            """;
        var envelope = SpoolRecordFormat.ReadEnvelope(Encoding.UTF8.GetBytes(old));
        Assert.False(envelope.Smtputf8);
        Assert.False(envelope.EightBit);
        Assert.False(envelope.RequireTls);
        Assert.Equal(["b@example.net"], envelope.Recipients);
        Assert.Equal("env-1", envelope.EnvelopeId);
    }

    [Fact]
    public void The_smtputf8_flag_is_spooled_when_set_and_left_out_when_not()
    {
        var envelope = new Envelope("jürgen@example.org", ["müller@bücher.example"], DateTimeOffset.UnixEpoch, "10.1.2.3", "mx") { Smtputf8 = true };
        var json = JsonSerializer.SerializeToUtf8Bytes(envelope, SpoolJsonContext.Default.Envelope);
        var read = SpoolRecordFormat.ReadEnvelope(json);
        Assert.True(read.Smtputf8);
        Assert.Equal(["müller@bücher.example"], read.Recipients);
        Assert.DoesNotContain("Smtputf8", Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(envelope with { Smtputf8 = false }, SpoolJsonContext.Default.Envelope)));
    }

    [Fact]
    public void An_envelope_spooled_before_trace_context_existed_loads_as_not_traced()
    {
        const string old = """
            {"Sender":"a@example.org","Recipients":["b@example.net"],"ReceivedAt":"2026-11-28T18:30:15.123+01:00","ClientAddress":"10.1.2.3","ClientHelo":"mx.example.org"}
            """;
        var envelope = SpoolRecordFormat.ReadEnvelope(Encoding.UTF8.GetBytes(old));
        Assert.Null(envelope.TraceParent);
        Assert.Equal("a@example.org", envelope.Sender);
    }

    [Fact]
    public void The_traceparent_is_spooled_when_the_message_is_traced_and_left_out_when_not()
    {
        const string traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        var envelope = new Envelope("a@example.org", ["b@example.net"], DateTimeOffset.UnixEpoch, "10.1.2.3", "mx") { TraceParent = traceParent };
        var read = SpoolRecordFormat.ReadEnvelope(JsonSerializer.SerializeToUtf8Bytes(envelope, SpoolJsonContext.Default.Envelope));
        Assert.Equal(traceParent, read.TraceParent);
        Assert.DoesNotContain("TraceParent", Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(envelope with { TraceParent = null }, SpoolJsonContext.Default.Envelope)));
    }

    [Fact]
    public void The_eight_bit_and_requiretls_flags_are_spooled_when_set_and_left_out_when_not()
    {
        var envelope = new Envelope("a@example.org", ["b@example.net"], DateTimeOffset.UnixEpoch, "10.1.2.3", "mx") { EightBit = true, RequireTls = true };
        var read = SpoolRecordFormat.ReadEnvelope(JsonSerializer.SerializeToUtf8Bytes(envelope, SpoolJsonContext.Default.Envelope));
        Assert.True(read.EightBit);
        Assert.True(read.RequireTls);
        var plain = Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(envelope with { EightBit = false, RequireTls = false }, SpoolJsonContext.Default.Envelope));
        Assert.DoesNotContain("EightBit", plain);
        Assert.DoesNotContain("RequireTls", plain);
    }

    [Fact]
    public void Handovers_and_shadow_copies_carry_the_flags_in_the_envelope_they_send()
    {
        var envelope = new Envelope("a@example.org", ["b@example.net", "c@example.net"], DateTimeOffset.UnixEpoch, "10.1.2.3", "mx") { Smtputf8 = true, EightBit = true, RequireTls = true };
        // A handover sends the part's recipients only (Narrow); a shadow copy sends the envelope as stored.
        var read = Router.Messages.Serialization.EnvelopeCodec.Decode(Router.Messages.Serialization.EnvelopeCodec.Encode(envelope.Narrow([1])));
        Assert.Equal(["c@example.net"], read.Recipients);
        Assert.Equal((true, true, true), (read.Smtputf8, read.EightBit, read.RequireTls));
    }
}
