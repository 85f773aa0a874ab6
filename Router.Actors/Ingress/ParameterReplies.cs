using SmtpServer.Protocol;

namespace Router.Actors.Ingress;

/// <summary>
/// The replies to MAIL and RCPT parameters the router does not take. RFC 5321 §4.1.1.11: a
/// parameter the server does not recognise or cannot implement gets 555; §4.2.3: a syntax error
/// in parameters gets 501. RFC 3463 §3.6: X.5.4 is "invalid command arguments". A SIZE over the
/// limit is RFC 1870 §6.2's 552 with RFC 3463's 5.3.4.
/// </summary>
public static class ParameterReplies
{
    /// <summary>RFC 5321 §4.2.2: "MAIL FROM/RCPT TO parameters not recognized or not implemented".</summary>
    public const SmtpReplyCode ParametersNotImplemented = (SmtpReplyCode)555;

    /// <summary>RFC 5321 §4.2.2: "Syntax error in parameters or arguments".</summary>
    public const SmtpReplyCode SyntaxErrorInParameters = (SmtpReplyCode)501;

    /// <summary>RFC 3463 §3.6: "Invalid command arguments".</summary>
    public const string InvalidArguments = "5.5.4";

    /// <summary>A parameter of an extension the EHLO reply does not offer, or none at all.</summary>
    public static SmtpResponse NotOffered(string keyword) =>
        new(ParametersNotImplemented, $"{InvalidArguments} Parameter {keyword.ToUpperInvariant()} is not supported here");

    /// <summary>BODY=BINARYMIME without BINARYMIME (RFC 3030 §3) in the EHLO reply.</summary>
    public static readonly SmtpResponse BinaryMimeNotOffered =
        new(ParametersNotImplemented, $"{InvalidArguments} BODY=BINARYMIME is not supported here");

    /// <summary>
    /// MAIL ... REQUIRETLS on a session without TLS: RFC 8689 has the parameter sent only over TLS. RFC 3207's
    /// 530 "Must issue a STARTTLS command first" with RFC 3463's 5.7.0.
    /// </summary>
    public static readonly SmtpResponse RequireTlsNeedsTls =
        new((SmtpReplyCode)530, "5.7.0 REQUIRETLS needs a TLS session: issue STARTTLS first");

    /// <summary>RFC 5321 §4.1.2: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-").</summary>
    public static SmtpResponse BadKeyword(string keyword) =>
        new(SyntaxErrorInParameters, $"{InvalidArguments} Bad parameter keyword \"{keyword}\"");

    public static SmtpResponse Malformed(string keyword, string why) =>
        new(SyntaxErrorInParameters, $"{InvalidArguments} Bad {keyword.ToUpperInvariant()} parameter: {why}");

    /// <summary>A keyword twice in one command: each extension allows its parameter once per command.</summary>
    public static SmtpResponse Repeated(string keyword) =>
        new(SyntaxErrorInParameters, $"{InvalidArguments} Parameter {keyword.ToUpperInvariant()} given more than once");
}
