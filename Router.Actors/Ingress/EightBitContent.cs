using System.Buffers;
using System.Text;

namespace Router.Actors.Ingress;

/// <summary>
/// Whether message content has a byte above 127 (RFC 6152): such a message may go only to a firewall whose
/// EHLO offers 8BITMIME. The declaration (BODY=8BITMIME) alone does not count: all-ASCII content is the same
/// bytes on a 7-bit path, so it goes anywhere unchanged, as an all-ASCII message sent with SMTPUTF8 does.
/// </summary>
public static class EightBitContent
{
    public static bool Has(in ReadOnlySequence<byte> content)
    {
        foreach (var segment in content)
        {
            if (!Ascii.IsValid(segment.Span))
                return true;
        }
        return false;
    }
}
