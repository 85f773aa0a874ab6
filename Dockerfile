# The router as a container image (docs/deploy.md, "Container").
#   docker build -t router .
#   docker run -v router-spool:/var/lib/router -v $PWD/router.conf:/etc/router/router.conf:ro -p 25:2525 router
# Two stages: the SDK builds and publishes Router.Node; the ASP.NET runtime image (the admin endpoint is Kestrel)
# runs it as the image's non-root user.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Project files first, so that the restore layer is reused while only sources change.
COPY Directory.Build.props ./
COPY Router.Messages/Router.Messages.csproj Router.Messages/
COPY Router.Actors/Router.Actors.csproj Router.Actors/
COPY Router.Testing/Router.Testing.csproj Router.Testing/
COPY Router.Node/Router.Node.csproj Router.Node/
RUN dotnet restore Router.Node/Router.Node.csproj
COPY Router.Messages/ Router.Messages/
COPY Router.Actors/ Router.Actors/
# The demo's fake firewalls (router demo) live in Router.Testing.
COPY Router.Testing/ Router.Testing/
COPY Router.Node/ Router.Node/
RUN dotnet publish Router.Node/Router.Node.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app/ ./
# The default configuration; mount your own over it (or another file and pass --config).
COPY deploy/docker/router.conf /etc/router/router.conf
# The spool (and the tracking log under it) must outlive the container: mail acknowledged with 250 lives there.
RUN mkdir -p /var/lib/router/spool && chown -R "$APP_UID" /var/lib/router
VOLUME /var/lib/router
# SMTP (25 when router.smtp.listen names it: Docker lets a non-root process bind it inside the container; the
# default config listens on 2525), the admin endpoint with /metrics and the health endpoints, Akka remoting, and
# the Cluster Bootstrap management endpoint.
EXPOSE 25 2525 9110 4053 8558
# The image's non-root user (the .NET images define "app" and APP_UID).
USER $APP_UID
WORKDIR /var/lib/router
# The node stops gracefully on SIGTERM (docker stop): give it more than router.smtp.shutdown-grace (30s), e.g.
# docker stop -t 60.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/router"]
CMD ["run", "--config", "/etc/router/router.conf"]
