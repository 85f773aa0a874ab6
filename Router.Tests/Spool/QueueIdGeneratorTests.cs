using Router.Actors.Spool;
using Xunit;

namespace Router.Tests.Spool;

public sealed class QueueIdGeneratorTests
{
    [Fact]
    public void Ids_are_unique_sorted_and_safe()
    {
        var generator = new QueueIdGenerator();
        var ids = Enumerable.Range(0, 20_000).Select(_ => generator.Next()).ToArray();

        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        Assert.All(ids, id =>
        {
            Assert.Equal(QueueIdGenerator.Length, id.Length);
            Assert.Matches("^[0-9A-HJKMNP-TV-Z]+$", id);
        });
    }

    [Fact]
    public void Ids_sort_after_an_observed_id_even_when_the_clock_is_behind()
    {
        var future = new QueueIdGenerator(new FixedTime(DateTimeOffset.UtcNow.AddYears(1))).Next();
        var generator = new QueueIdGenerator();

        generator.Observe(future);

        Assert.True(string.CompareOrdinal(generator.Next(), future) > 0);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
