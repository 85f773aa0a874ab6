namespace Router.Node.Admin;

/// <summary>A request the endpoint answers with an error status and a one-line <see cref="ApiError"/>.</summary>
public sealed class AdminException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    public static AdminException NotFound(string message) => new(StatusCodes.NotFound, message);

    public static AdminException BadRequest(string message) => new(StatusCodes.BadRequest, message);

    /// <summary>The HTTP statuses the admin API answers with.</summary>
    public static class StatusCodes
    {
        public const int BadRequest = 400;
        public const int Unauthorized = 401;
        public const int NotFound = 404;
        public const int Conflict = 409;
        public const int Unavailable = 503;
    }
}
