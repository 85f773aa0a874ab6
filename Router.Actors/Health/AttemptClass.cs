namespace Router.Actors.Health;

/// <summary>What one delivery attempt says about the firewall (not about the message).</summary>
public enum AttemptClass
{
    /// <summary>The firewall answered sensibly: it works, whatever it decided about the message.</summary>
    Success,
    /// <summary>The firewall could not be reached, did not greet, timed out, or broke the session.</summary>
    FirewallFailure,
    /// <summary>A 4xx that refused the whole transaction; one says nothing, a run across different messages does.</summary>
    TransientRejection,
    /// <summary>Says nothing either way (a local fault on our side).</summary>
    Neutral,
}
