# kirimd and kirimctl as a container image: Debian bookworm, built with the same Debian
# packages and Bazel as everywhere else (script/bootstrap), run as a non-root user with only
# the runtime libraries. The Kubernetes manifests (k8s/) expect exactly this layout:
#   /usr/local/bin/kirimd     the entrypoint (args: --config=/etc/kirim/kirimd.textproto --role=...)
#   /usr/local/bin/kirimctl   for `kubectl exec` (and kirim_keygen beside it)
#   /etc/kirim/               the config (a ConfigMap mounted there)
#   uid/gid 10001             runAsUser/runAsGroup in the manifests
#   ports 50051 gRPC, 9464 HTTP (/metrics, /unsubscribe), 8086 gRPC health (probes)
#
#   docker build -t kirimd:dev .
#
# Not built on the machine Kirim is developed on (it has no container engine); docs/deploy.md
# says so. The runtime package list is what `ldd kirimd` resolves to on bookworm.

# ---- build ----
FROM debian:bookworm AS build
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
# script/bootstrap installs the toolchain and libraries (and the test peers, which the image
# does not need: KIRIM_BOOTSTRAP_BUILD_ONLY skips them).
COPY script/bootstrap script/bootstrap
RUN apt-get update && KIRIM_BOOTSTRAP_BUILD_ONLY=1 script/bootstrap && rm -rf /var/lib/apt/lists/*
COPY . .
RUN bazel build -c opt //server/kirimd:kirimd //client:kirimctl //server/auth:kirim_keygen \
 && install -D -m 0755 bazel-bin/server/kirimd/kirimd /out/usr/local/bin/kirimd \
 && install -D -m 0755 bazel-bin/client/kirimctl /out/usr/local/bin/kirimctl \
 && install -D -m 0755 bazel-bin/server/auth/kirim_keygen /out/usr/local/bin/kirim_keygen

# ---- runtime ----
FROM debian:bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates \
      libabsl20220623 \
      libc-ares2 \
      libcivetweb1 \
      libgrpc++1.51 \
      libgrpc29 \
      libhiredis0.14 \
      libprometheus-cpp-core1.0 \
      libprotobuf32 \
      libre2-9 \
      libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 kirim \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin kirim \
 && mkdir -p /etc/kirim /var/lib/kirim/sandbox \
 && chown kirim:kirim /var/lib/kirim/sandbox
COPY --from=build /out/ /
USER 10001:10001
EXPOSE 50051 9464 8086
ENTRYPOINT ["/usr/local/bin/kirimd"]
CMD ["--config=/etc/kirim/kirimd.textproto"]
