using Router.Actors.Health;
using Router.Messages.Delivery;

namespace Router.Tests.Health;

public sealed class OutcomeClassifierTests
{
    private static DeliveryResult Result(AttemptOutcome outcome, params int[] codes) =>
        new(outcome, codes.Select((c, i) => new RecipientResult(i, c, $"{c}")).ToArray(), "detail", false);

    [Theory]
    [InlineData(AttemptOutcome.ConnectFailed)]
    [InlineData(AttemptOutcome.ConnectTimeout)]
    [InlineData(AttemptOutcome.GreetingTimeout)]
    [InlineData(AttemptOutcome.SessionRefused)]
    [InlineData(AttemptOutcome.TlsFailed)]
    [InlineData(AttemptOutcome.ServiceClosing)]
    [InlineData(AttemptOutcome.CommandTimeout)]
    [InlineData(AttemptOutcome.ConnectionLost)]
    [InlineData(AttemptOutcome.ProtocolError)]
    [InlineData(AttemptOutcome.AuthFailed)]
    public void Connection_and_session_faults_are_the_firewalls(AttemptOutcome outcome)
    {
        Assert.Equal(AttemptClass.FirewallFailure, OutcomeClassifier.Classify(Result(outcome, 0)));
        Assert.True(OutcomeClassifier.IsFirewallFault(Result(outcome, 0)));
    }

    [Fact]
    public void A_completed_transaction_is_a_success_even_with_rejected_recipients()
    {
        Assert.Equal(AttemptClass.Success, OutcomeClassifier.Classify(Result(AttemptOutcome.Completed, 250, 550, 451)));
    }

    [Fact]
    public void A_permanent_5xx_for_the_whole_message_says_the_firewall_works()
    {
        Assert.Equal(AttemptClass.Success, OutcomeClassifier.Classify(Result(AttemptOutcome.PermanentRejection, 554)));
    }

    [Fact]
    public void A_4xx_to_mail_or_data_is_a_transient_rejection()
    {
        Assert.Equal(AttemptClass.TransientRejection, OutcomeClassifier.Classify(Result(AttemptOutcome.TransientRejection, 451)));
    }

    [Fact]
    public void Every_recipient_refused_with_4xx_is_a_transient_rejection()
    {
        Assert.Equal(AttemptClass.TransientRejection, OutcomeClassifier.Classify(Result(AttemptOutcome.Completed, 451, 452)));
    }

    [Fact]
    public void A_local_fault_says_nothing_about_the_firewall()
    {
        Assert.Equal(AttemptClass.Neutral, OutcomeClassifier.Classify(Result(AttemptOutcome.LocalError, 0)));
        Assert.False(OutcomeClassifier.IsFirewallFault(Result(AttemptOutcome.LocalError, 0)));
    }
}
