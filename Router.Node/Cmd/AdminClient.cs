using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Router.Node.Admin;

namespace Router.Node.Cmd;

/// <summary>HTTP client of one node's admin endpoint. Every failure becomes a one-line <see cref="CmdException"/>.</summary>
public sealed class AdminClient : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(15);

    private readonly HttpClient _http;

    /// <param name="endpoint"><c>host:port</c> (or a full http:// URL).</param>
    public AdminClient(string endpoint, string? token, HttpMessageHandler? handler = null)
    {
        Endpoint = endpoint;
        var baseUri = endpoint.Contains("://", StringComparison.Ordinal) ? endpoint : $"http://{endpoint}";
        if (!Uri.TryCreate(baseUri, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw CmdException.Usage($"--endpoint '{endpoint}' is not host:port");
        _http = new HttpClient(handler ?? new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) })
        {
            BaseAddress = uri,
            // Streams (tail) run until cancelled; ordinary requests get RequestTimeout below.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        if (!string.IsNullOrEmpty(token))
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public string Endpoint { get; }

    /// <summary>Sends the request and returns the answer's JSON text.</summary>
    public async Task<string> SendAsync(ApiCall call, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        using var response = await SendCoreAsync(call, HttpCompletionOption.ResponseContentRead, timeout.Token, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(timeout.Token);
        ThrowIfError(response, body);
        return body;
    }

    /// <summary>Writes the answer's bytes, unchanged, to <paramref name="path"/>; the number of bytes.</summary>
    public async Task<long> DownloadAsync(ApiCall call, string path, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        using var response = await SendCoreAsync(call, HttpCompletionOption.ResponseHeadersRead, timeout.Token, cancellationToken);
        if (!response.IsSuccessStatusCode)
            ThrowIfError(response, await response.Content.ReadAsStringAsync(timeout.Token));
        await using var file = File.Create(path);
        await response.Content.CopyToAsync(file, timeout.Token);
        return file.Length;
    }

    public async Task<T> GetAsync<T>(ApiCall call, CancellationToken cancellationToken) =>
        JsonSerializer.Deserialize<T>(await SendAsync(call, cancellationToken), AdminJson.Options)
            ?? throw new CmdException($"the node at {Endpoint} answered null", CmdException.NodeError);

    /// <summary>
    /// The events of <c>GET /api/tail</c> (the JSON of each <c>data:</c> line) until cancelled or the
    /// node closes the stream. <paramref name="subscribed"/> runs once the node has answered: from
    /// then on no event is missed.
    /// </summary>
    public async IAsyncEnumerable<string> TailAsync(ApiCall call, Action subscribed, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var response = await SendCoreAsync(call, HttpCompletionOption.ResponseHeadersRead, cancellationToken, cancellationToken);
        if (!response.IsSuccessStatusCode)
            ThrowIfError(response, await response.Content.ReadAsStringAsync(cancellationToken));
        subscribed();
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream);
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(cancellationToken);
            }
            catch (IOException) when (!cancellationToken.IsCancellationRequested)
            {
                yield break;
            }
            if (line is null)
                yield break;
            if (line.StartsWith("data: ", StringComparison.Ordinal))
                yield return line["data: ".Length..];
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<HttpResponseMessage> SendCoreAsync(ApiCall call, HttpCompletionOption completion, CancellationToken token, CancellationToken caller)
    {
        using var request = new HttpRequestMessage(new HttpMethod(call.Method), call.Path.TrimStart('/'));
        try
        {
            return await _http.SendAsync(request, completion, token);
        }
        catch (HttpRequestException ex)
        {
            throw new CmdException($"node unreachable at {Endpoint}: {(ex.InnerException ?? ex).Message}", CmdException.Unreachable);
        }
        catch (OperationCanceledException) when (!caller.IsCancellationRequested)
        {
            throw new CmdException($"node unreachable at {Endpoint}: no answer within {RequestTimeout.TotalSeconds:0}s", CmdException.Unreachable);
        }
    }

    private void ThrowIfError(HttpResponseMessage response, string body)
    {
        if (response.IsSuccessStatusCode)
            return;
        string? error = null;
        try
        {
            error = JsonSerializer.Deserialize<ApiError>(body, AdminJson.Options)?.Error;
        }
        catch (JsonException)
        {
        }
        throw new CmdException(error ?? $"the node at {Endpoint} answered {(int)response.StatusCode} {response.ReasonPhrase}", CmdException.NodeError);
    }
}
