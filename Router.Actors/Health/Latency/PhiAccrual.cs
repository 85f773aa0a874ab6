namespace Router.Actors.Health.Latency;

/// <summary>
/// The suspicion level φ of Hayashibara et al., "The φ Accrual Failure Detector" (2004), as Akka's
/// failure detector computes it: φ = -log10(1 - F(t)), with F the normal distribution of the
/// observed latencies (mean, standard deviation), through the logistic approximation of the
/// normal CDF (Bowling et al. 2009). φ = 1 means a 10% chance that a healthy peer would still answer
/// after this long, φ = 2 1%, φ = 8 one in 10^8. Pure math, no state.
/// </summary>
public static class PhiAccrual
{
    /// <summary>φ for a wait of <paramref name="waitedMs"/> against latencies of that mean and deviation.</summary>
    public static double Phi(double waitedMs, double meanMs, double stdDeviationMs)
    {
        var y = (waitedMs - meanMs) / stdDeviationMs;
        var e = Math.Exp(-Logit(y));
        // Above the mean the tail is small: 1 - F = e / (1 + e). Below it, log10(1 - F) is near 0.
        return waitedMs > meanMs ? -Math.Log10(e / (1.0 + e)) : -Math.Log10(1.0 - 1.0 / (1.0 + e));
    }

    /// <summary>
    /// How long a wait must be for φ to reach <paramref name="phi"/>: the inverse of <see cref="Phi"/>,
    /// mean + y × deviation, with y solved by bisection (the approximation is monotone in y).
    /// </summary>
    public static double WaitForPhi(double phi, double meanMs, double stdDeviationMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(phi);
        // 1 - F(y) = 10^-phi, so logit(y) = ln(F / (1 - F)).
        var tail = Math.Pow(10, -phi);
        var target = Math.Log((1 - tail) / tail);
        double low = 0, high = 1;
        while (Logit(high) < target)
            high *= 2;
        for (var i = 0; i < 100 && high - low > 1e-9; i++)
        {
            var mid = (low + high) / 2;
            if (Logit(mid) < target)
                low = mid;
            else
                high = mid;
        }
        return meanMs + high * stdDeviationMs;
    }

    /// <summary>The exponent of the logistic approximation: F(y) = 1 / (1 + exp(-Logit(y))).</summary>
    private static double Logit(double y) => y * (1.5976 + 0.070566 * y * y);
}
