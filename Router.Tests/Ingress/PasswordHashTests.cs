using Router.Actors.Ingress.Auth;

namespace Router.Tests.Ingress;

public sealed class PasswordHashTests
{
    [Fact]
    public void A_hash_verifies_its_own_password_and_nothing_else()
    {
        var hash = PasswordHash.Create("correct horse", PasswordHash.MinIterations);

        Assert.True(hash.Verify("correct horse"));
        Assert.False(hash.Verify("correct horse "));
        Assert.False(hash.Verify("Correct horse"));
        Assert.False(hash.Verify(string.Empty));
    }

    [Fact]
    public void The_printed_form_parses_back_to_a_hash_that_verifies()
    {
        var text = PasswordHash.Create("pässwörd", 12_345).ToString();

        Assert.Matches(@"^pbkdf2-sha256\$12345\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$", text);
        Assert.True(PasswordHash.TryParse(text, out var parsed, out _));
        Assert.Equal(12_345, parsed.Iterations);
        Assert.True(parsed.Verify("pässwörd"));
        Assert.False(parsed.Verify("passwort"));
    }

    [Fact]
    public void The_same_password_gets_a_different_salt_each_time()
    {
        Assert.NotEqual(PasswordHash.Create("same", PasswordHash.MinIterations).ToString(), PasswordHash.Create("same", PasswordHash.MinIterations).ToString());
    }

    [Fact]
    public void The_default_cost_is_owasps_for_pbkdf2_sha256()
    {
        Assert.Equal(600_000, PasswordHash.DefaultIterations);
    }

    [Fact]
    public void A_known_vector_verifies()
    {
        // PBKDF2-HMAC-SHA256("password", "saltsaltsaltsalt", 10000, 32), computed independently (Python hashlib).
        Assert.True(PasswordHash.TryParse("pbkdf2-sha256$10000$c2FsdHNhbHRzYWx0c2FsdA==$" + KnownVector, out var hash, out var error), error);
        Assert.True(hash.Verify("password"));
    }

    private const string KnownVector = "/HBtt7Z/7p0CzRvSN1B+KXrKNskvRts1UWw61zKTFUo=";
}
