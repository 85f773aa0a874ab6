using System.Text;
using Router.Messages;

namespace Router.Actors.Ingress;

/// <summary>Parses the ESMTP DSN parameters (RFC 3461) of RCPT and MAIL command lines.</summary>
public static class DsnParameters
{
    /// <summary>
    /// From a RCPT line ("RCPT TO:&lt;a@b&gt; NOTIFY=NEVER ORCPT=rfc822;a@b"): the address and its
    /// NOTIFY/ORCPT, or null when the line is not a RCPT or carries neither.
    /// </summary>
    public static (string Address, RecipientNotify Options)? ParseRcpt(string line)
    {
        if (!line.StartsWith("RCPT", StringComparison.OrdinalIgnoreCase))
            return null;
        var open = line.IndexOf('<');
        var close = open < 0 ? -1 : line.IndexOf('>', open);
        if (close < 0)
            return null;
        var address = line[(open + 1)..close];
        var at = address.IndexOf(':');
        if (address.StartsWith('@') && at > 0)
            address = address[(at + 1)..];
        string? notify = null;
        string? orcpt = null;
        foreach (var parameter in line[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = parameter.IndexOf('=');
            if (equals <= 0)
                continue;
            var name = parameter[..equals];
            var value = parameter[(equals + 1)..];
            if (name.Equals("NOTIFY", StringComparison.OrdinalIgnoreCase))
                notify = value.ToUpperInvariant();
            else if (name.Equals("ORCPT", StringComparison.OrdinalIgnoreCase))
                orcpt = DecodeXtext(value);
        }
        return notify is null && orcpt is null ? null : (address, new RecipientNotify(notify, orcpt));
    }

    /// <summary>RFC 3461 xtext: "+XX" is the byte with that hex value; everything else stands for itself.</summary>
    public static string DecodeXtext(string value)
    {
        if (!value.Contains('+'))
            return value;
        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '+' && i + 2 < value.Length && Uri.IsHexDigit(value[i + 1]) && Uri.IsHexDigit(value[i + 2]))
            {
                bytes.Add(Convert.ToByte(value.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
                bytes.Add((byte)value[i]);
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
