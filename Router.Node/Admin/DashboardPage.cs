using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Router.Node.Admin;

/// <summary>
/// The live dashboard at <c>/</c>: three static files embedded in the <c>router</c> executable
/// (Admin/Dashboard/), no libraries, nothing fetched from elsewhere. The files hold no data and are
/// served without the token; everything they show comes from the JSON API, which the page calls
/// with <c>Authorization: Bearer</c> (token given once as <c>#token=</c> or <c>?token=</c>, or typed
/// in, and kept in the tab's sessionStorage).
/// </summary>
public static class DashboardPage
{
    /// <summary>Route → (embedded resource, content type).</summary>
    private static readonly IReadOnlyDictionary<string, (string Resource, string ContentType)> Files =
        new Dictionary<string, (string, string)>(StringComparer.Ordinal)
        {
            ["/"] = ("index.html", "text/html; charset=utf-8"),
            ["/dashboard.js"] = ("dashboard.js", "text/javascript; charset=utf-8"),
            ["/dashboard.css"] = ("dashboard.css", "text/css; charset=utf-8"),
        };

    /// <summary>Only same-origin scripts, styles and requests; no framing; no referrer (a <c>?token=</c> must not leak).</summary>
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly Lazy<IReadOnlyDictionary<string, byte[]>> Contents = new(Load);

    /// <summary>Requests the token rule lets through: the page's own static files, which carry no data.</summary>
    public static bool IsPublic(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && Files.ContainsKey(request.Path.Value ?? string.Empty);

    public static void Map(IEndpointRouteBuilder routes)
    {
        foreach (var (path, (resource, contentType)) in Files)
        {
            routes.MapGet(path, (HttpContext context) =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers.CacheControl = "no-cache";
                return Results.Bytes(Contents.Value[resource], contentType);
            });
        }
    }

    private static IReadOnlyDictionary<string, byte[]> Load()
    {
        var assembly = typeof(DashboardPage).Assembly;
        return Files.Values.ToDictionary(f => f.Resource, f =>
        {
            var name = $"Router.Node.Admin.Dashboard.{f.Resource}";
            using var stream = assembly.GetManifestResourceStream(name)
                ?? throw new InvalidOperationException($"the dashboard file {name} is not embedded in {assembly.GetName().Name}");
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return buffer.ToArray();
        }, StringComparer.Ordinal);
    }
}
