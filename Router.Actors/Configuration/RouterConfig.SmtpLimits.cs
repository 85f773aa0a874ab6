using Router.Actors.Routing;

namespace Router.Actors.Configuration;

public static partial class RouterConfig
{
    private static SmtpLimits ReadSmtpLimits(HoconReader reader, string smtp, string hostname, long maxMessageSize)
    {
        var defaults = new SmtpLimits();

        var commandKey = $"{smtp}.max-command-line-length";
        var commandLine = HoconReader.Int(reader.At(commandKey), commandKey, defaults.MaxCommandLineLength);
        if (commandLine < SmtpLimits.MinCommandLineLength)
        {
            throw new RouterConfigException(commandKey,
                $"{commandLine} is below {SmtpLimits.MinCommandLineLength}, the minimum RFC 5321 section 4.5.3.1.4 requires");
        }

        var textKey = $"{smtp}.max-text-line-length";
        var textLine = HoconReader.Int(reader.At(textKey), textKey, defaults.MaxTextLineLength);
        if (textLine < SmtpLimits.MinTextLineLength)
        {
            throw new RouterConfigException(textKey,
                $"{textLine} is below {SmtpLimits.MinTextLineLength}, the minimum RFC 5321 section 4.5.3.1.6 requires");
        }

        var inflightKey = $"{smtp}.max-inflight-bytes";
        var inflightText = HoconReader.String(reader.At(inflightKey), inflightKey);
        var inflight = inflightText is null or "auto"
            ? SmtpLimits.InflightMessagesAuto * maxMessageSize
            : HoconReader.ByteSize(reader.At(inflightKey), inflightKey, 0);
        if (inflight < maxMessageSize)
        {
            throw new RouterConfigException(inflightKey,
                $"{inflight} is below max-message-size ({maxMessageSize}): a message of the largest size could never be received");
        }

        var dataTimeout = Positive(reader, $"{smtp}.data-timeout", defaults.DataTimeout);
        var dataTotalKey = $"{smtp}.data-total-timeout";
        var dataTotal = Positive(reader, dataTotalKey, defaults.DataTotalTimeout);
        if (dataTotal < dataTimeout)
        {
            throw new RouterConfigException(dataTotalKey, $"{dataTotal} is shorter than data-timeout ({dataTimeout})");
        }

        var postmasterKey = $"{smtp}.postmaster";
        var postmaster = (HoconReader.String(reader.At(postmasterKey), postmasterKey) ?? "postmaster@{hostname}")
            .Replace("{hostname}", hostname, StringComparison.Ordinal).Trim();
        var at = postmaster.LastIndexOf('@');
        if (at <= 0 || RelayUnsafe(postmaster[..at]) || !DomainName.TryNormalize(postmaster[(at + 1)..], out _, out _))
        {
            throw new RouterConfigException(postmasterKey, $"\"{postmaster}\" is not a mailbox such as postmaster@corp.example");
        }

        return new SmtpLimits
        {
            MaxConnectionsPerIp = AtLeastOne(reader, $"{smtp}.max-connections-per-ip", defaults.MaxConnectionsPerIp),
            MaxCommandLineLength = commandLine,
            MaxTextLineLength = textLine,
            MaxErrors = AtLeastOne(reader, $"{smtp}.max-errors", defaults.MaxErrors),
            DataTimeout = dataTimeout,
            DataTotalTimeout = dataTotal,
            MaxInflightBytes = inflight,
            Postmaster = postmaster,
        };
    }

    private static bool RelayUnsafe(string localPart) =>
        localPart.Length == 0 || localPart.IndexOfAny(['%', '!', '@', '<', '>', ' ', '"']) >= 0;
}
