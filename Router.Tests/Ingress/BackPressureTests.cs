using Router.Actors.Configuration;
using Router.Actors.Ingress;

namespace Router.Tests.Ingress;

public sealed class BackPressureTests
{
    private static readonly SpoolSettings Limits = new() { MaxMessages = 100, MaxBytes = 1000, MinFreeDisk = 500, ResumeAt = 0.9 };

    [Fact]
    public void Below_every_limit_new_mail_is_accepted() =>
        Assert.Null(BackPressure.Evaluate(Limits, 99, 999, 501, engaged: false));

    [Theory]
    [InlineData(100, 0, 10_000, "messages")]
    [InlineData(0, 1000, 10_000, "bytes queued")]
    [InlineData(0, 0, 499, "free")]
    public void Reaching_any_limit_engages(long messages, long bytes, long free, string reason) =>
        Assert.Contains(reason, BackPressure.Evaluate(Limits, messages, bytes, free, engaged: false));

    [Fact]
    public void Once_engaged_it_holds_until_every_measure_is_under_the_resume_point()
    {
        Assert.NotNull(BackPressure.Evaluate(Limits, 95, 0, 10_000, engaged: true));
        Assert.NotNull(BackPressure.Evaluate(Limits, 0, 950, 10_000, engaged: true));
        Assert.NotNull(BackPressure.Evaluate(Limits, 0, 0, 540, engaged: true));
        Assert.Null(BackPressure.Evaluate(Limits, 89, 899, 556, engaged: true));
    }
}
