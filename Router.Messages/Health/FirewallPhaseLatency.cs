namespace Router.Messages.Health;

/// <summary>
/// What one firewall's latency history says of one step of a delivery attempt (issue 18), for
/// <c>router cmd firewall &lt;id&gt;</c>: samples kept, p50 and p99, and the wait after which the step
/// is given up (the adaptive threshold, or the fixed timeout while <paramref name="Adaptive"/> is false).
/// </summary>
/// <param name="Phase">connect, greeting, ehlo, starttls, auth, mail, rcpt, end-of-data.</param>
public sealed record FirewallPhaseLatency(string Phase, int Samples, double P50Ms, double P99Ms, double ThresholdMs, bool Adaptive);
