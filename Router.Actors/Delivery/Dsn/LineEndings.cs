namespace Router.Actors.Delivery.Dsn;

/// <summary>Makes returned message bytes CRLF-only without touching lines that already are.</summary>
internal static class LineEndings
{
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();

    /// <summary>
    /// Copies <paramref name="bytes"/>, turning each bare CR and bare LF into CRLF. The SMTP edge stores
    /// them as received and MailKit forwards a bare CR unchanged, so a DSN that returned them could
    /// carry an SMTP smuggling sequence (e.g. CR "." CRLF); lines that end in CRLF are copied as they are.
    /// </summary>
    public static byte[] ToCrlf(ReadOnlySpan<byte> bytes, bool mustEndWithNewLine)
    {
        var output = new MemoryStream(bytes.Length + 2);
        var start = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            if (b == (byte)'\r' && i + 1 < bytes.Length && bytes[i + 1] == (byte)'\n')
            {
                i++;
                continue;
            }
            if (b != (byte)'\r' && b != (byte)'\n')
                continue;
            output.Write(bytes[start..i]);
            output.Write(Crlf);
            start = i + 1;
        }
        output.Write(bytes[start..]);
        var endsWithNewLine = bytes.Length > 0 && bytes[^1] is (byte)'\r' or (byte)'\n';
        if (mustEndWithNewLine && !endsWithNewLine)
            output.Write(Crlf);
        return output.ToArray();
    }
}
