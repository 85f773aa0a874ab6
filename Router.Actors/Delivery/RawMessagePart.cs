using MimeKit;
using MimeKit.IO;

namespace Router.Actors.Delivery;

/// <summary>
/// A MIME entity that writes the spooled bytes exactly as received: MailKit needs a
/// <see cref="MimeMessage"/> to send, and we must not parse or re-encode mail that is not ours
/// (a DKIM signature has to survive the relay).
/// </summary>
/// <remarks>
/// It derives from <see cref="MimePart"/> with Content-Transfer-Encoding 8bit only so that
/// MailKit declares BODY=8BITMIME when the firewall offers it (declaring 8BITMIME for 7-bit content
/// is allowed). Its own headers are hidden with <see cref="HiddenHeaders"/>; the message's real
/// headers are inside the raw bytes.
/// </remarks>
internal sealed class RawMessagePart : MimePart
{
    /// <summary>Headers of this synthetic entity that must never reach the wire.</summary>
    public static readonly HeaderId[] HiddenHeaders = [HeaderId.ContentType, HeaderId.ContentTransferEncoding];

    private readonly Stream _source;

    public RawMessagePart(Stream source) : base("application", "octet-stream")
    {
        _source = source;
        ContentTransferEncoding = ContentEncoding.EightBit;
    }

    /// <summary>True once the whole body has been handed to the transport.</summary>
    public bool Written { get; private set; }

    public override void WriteTo(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default)
    {
        _source.Position = 0;
        var buffer = new byte[81920];
        int read;
        while ((read = _source.Read(buffer, 0, buffer.Length)) > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            stream.Write(buffer, 0, read);
        }
        Written = true;
    }

    public override async Task WriteToAsync(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default)
    {
        _source.Position = 0;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = await _source.ReadAsync(buffer.AsMemory(0, 81920), cancellationToken).ConfigureAwait(false)) > 0)
            {
                // MailKit's filtered streams implement ICancellableStream; use it where offered.
                if (stream is ICancellableStream cancellable)
                    cancellable.Write(buffer, 0, read, cancellationToken);
                else
                    await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        Written = true;
    }

    /// <summary>Builds the message MailKit sends: no headers of its own, the raw bytes as body.</summary>
    public static MimeMessage Wrap(RawMessagePart part)
    {
        var message = new MimeMessage();
        message.Headers.Clear();
        message.Body = part;
        return message;
    }
}
