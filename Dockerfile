# QuotaSidecar image: build with the .NET SDK, run on the ASP.NET runtime as a non-root user.
#
#   docker build -t quota-sidecar:dev .
#   docker build --build-arg SDK_IMAGE=registry.local/dotnet/sdk:10.0 \
#                --build-arg RUNTIME_IMAGE=registry.local/dotnet/aspnet:10.0 -t quota-sidecar:dev .
#
# The runtime stage runs no shell command, so a chiseled (distroless) ASP.NET image works as
# RUNTIME_IMAGE too. It runs with a read-only root filesystem: mount a writable /tmp
# (docker run --read-only --tmpfs /tmp ..., or the chart's emptyDir).

ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

FROM ${SDK_IMAGE} AS build
WORKDIR /src
# What the host project and its project references need; .dockerignore keeps the rest out.
COPY Directory.Build.props Directory.Packages.props ./
COPY protos/ protos/
COPY src/ src/
RUN dotnet restore src/QuotaSidecar/QuotaSidecar.csproj
RUN dotnet publish src/QuotaSidecar/QuotaSidecar.csproj --no-restore -c Release -o /app -p:UseAppHost=false

FROM ${RUNTIME_IMAGE} AS runtime
# A numeric user, so the kubelet can verify runAsNonRoot; 1654 is "app" in the .NET images.
ARG APP_UID=1654
WORKDIR /app
# Owned by root: the app user can read the files but not change them.
COPY --from=build /app ./
# The sidecar binds its own addresses (Quota__Grpc__*, Quota__Http__*): clear the base image's
# default HTTP port so Kestrel does not warn about overriding it. In a container the metrics and
# health port must be reachable from outside the container, gRPC stays on loopback unless told.
ENV ASPNETCORE_HTTP_PORTS= \
    Quota__Http__Host=0.0.0.0 \
    DOTNET_NOLOGO=1 \
    TMPDIR=/tmp
EXPOSE 7070 9090
USER ${APP_UID}:${APP_UID}
ENTRYPOINT ["dotnet", "QuotaSidecar.dll"]
