namespace Router.Actors.Delivery;

/// <summary>
/// SMTP DATA transparency (RFC 5321 4.5.2) for a body written in pieces: a dot at the start of a
/// line gets a second dot in front. Lines are found with a vectorised search for "\n.", so a body
/// without such lines is written in one piece per buffer.
/// </summary>
public sealed class DotStuffer
{
    public static readonly ReadOnlyMemory<byte> CrLf = "\r\n"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> Dot = "."u8.ToArray();

    /// <summary>True when the last byte written ended a line (or nothing was written yet).</summary>
    public bool AtLineStart { get; private set; } = true;

    /// <summary>Writes <paramref name="data"/> to <paramref name="output"/>, dot-stuffed.</summary>
    public async ValueTask WriteAsync(Stream output, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (data.IsEmpty)
            return;
        if (AtLineStart && data.Span[0] == (byte)'.')
            await output.WriteAsync(Dot, cancellationToken).ConfigureAwait(false);
        var start = 0;
        while (true)
        {
            var found = data.Span[start..].IndexOf("\n."u8);
            if (found < 0)
                break;
            var end = start + found + 1; // through the '\n'; the '.' starts the next piece
            await output.WriteAsync(data[start..end], cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(Dot, cancellationToken).ConfigureAwait(false);
            start = end;
        }
        await output.WriteAsync(data[start..], cancellationToken).ConfigureAwait(false);
        AtLineStart = data.Span[^1] == (byte)'\n';
    }
}
