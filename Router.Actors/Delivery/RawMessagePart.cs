using System.Buffers;
using System.Text;
using MimeKit;
using MimeKit.IO;

namespace Router.Actors.Delivery;

/// <summary>
/// A MIME entity that writes the spooled bytes exactly as received: MailKit needs a
/// <see cref="MimeMessage"/> to send, and we must not parse or re-encode mail that is not ours
/// (a DKIM signature has to survive the relay).
/// </summary>
/// <remarks>
/// MimeKit writes a MIME-Version header and a blank line of its own unless the message and this
/// entity came out of its parser, so <see cref="Wrap"/> parses a tiny header-only seed whose
/// content type is registered to this class. It is a <see cref="MimePart"/> with
/// Content-Transfer-Encoding 8bit only so that MailKit declares BODY=8BITMIME when the firewall
/// offers it (declaring 8BITMIME for 7-bit content is allowed). Its own two headers are hidden with
/// <see cref="HiddenHeaders"/>; the message's real headers are inside the raw bytes.
/// </remarks>
public sealed class RawMessagePart : MimePart
{
    private const string MediaType = "application/x-router-raw";

    /// <summary>Headers of this synthetic entity that must never reach the wire.</summary>
    public static readonly HeaderId[] HiddenHeaders = [HeaderId.ContentType, HeaderId.ContentTransferEncoding];

    private static readonly byte[] Seed = Encoding.ASCII.GetBytes($"Content-Type: {MediaType}\r\nContent-Transfer-Encoding: 8bit\r\n");
    private static readonly ParserOptions Parser = CreateParser();

    private Stream? _source;

    /// <summary>For MimeKit's parser only (see <see cref="Wrap"/>).</summary>
    public RawMessagePart(MimeEntityConstructorArgs args) : base(args)
    {
    }

    /// <summary>True once the whole body has been handed to the transport.</summary>
    public bool Written { get; private set; }

    /// <summary>True when the last write went past MailKit's DATA filter, dot-stuffed here.</summary>
    public bool StuffedItself { get; private set; }

    public override void WriteTo(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default)
    {
        var source = _source ?? throw new InvalidOperationException("no source stream");
        source.Position = 0;
        var buffer = new byte[81920];
        int read;
        while ((read = source.Read(buffer, 0, buffer.Length)) > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            stream.Write(buffer, 0, read);
        }
        Written = true;
    }

    public override async Task WriteToAsync(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default)
    {
        var source = _source ?? throw new InvalidOperationException("no source stream");
        source.Position = 0;
        // MailKit's DATA path hands us its SMTP stream behind a FilteredStream whose one filter
        // dot-stuffs byte by byte (SmtpDataFilter: 15% of the node's CPU for 100 KB messages).
        // Nothing has gone through that filter yet (neither the message nor this entity writes a
        // header or a blank line of its own), so the stuffing is done here with a vectorised
        // search and the bytes go straight to the SMTP stream; the filter has nothing to flush.
        var wire = stream is FilteredStream { Source: var inner } && inner.GetType().FullName == SmtpStreamType ? inner : null;
        var stuffer = new DotStuffer();
        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, 81920), cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (wire is null)
                    await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                else
                    await stuffer.WriteAsync(wire, buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
            // RFC 5321 4.1.1.4: the content ends with CRLF before the final dot. DATA content is
            // spooled with it; BDAT content, and DATA spooled before the edge kept it, lack it.
            if (wire is not null && !stuffer.AtLineStart)
                await wire.WriteAsync(DotStuffer.CrLf, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        Written = true;
        StuffedItself = wire is not null;
    }

    private const string SmtpStreamType = "MailKit.Net.Smtp.SmtpStream";

    /// <summary>
    /// The same wrapper for the next message: a connection sends one message at a time, so it
    /// parses the seed once instead of once per delivery.
    /// </summary>
    public void Use(Stream source)
    {
        _source = source;
        Written = false;
    }

    /// <summary>Builds the message MailKit sends: no headers of its own, <paramref name="source"/> as the bytes.</summary>
    public static (MimeMessage Message, RawMessagePart Part) Wrap(Stream source)
    {
        // The classic parser marks every entity as having a blank line after its headers; the
        // experimental one records the truth (none in the seed), so nothing extra is written.
        var message = new ExperimentalMimeParser(Parser, new MemoryStream(Seed, writable: false)).ParseMessage();
        message.Headers.Clear();
        var part = (RawMessagePart)message.Body!;
        part._source = source;
        return (message, part);
    }

    private static ParserOptions CreateParser()
    {
        var options = ParserOptions.Default.Clone();
        options.RegisterMimeType(MediaType, typeof(RawMessagePart));
        return options;
    }
}
