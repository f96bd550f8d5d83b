# syntax=docker/dockerfile:1
#
# Switchboard's container image: one image with both processes,
# switchboard-dataplane and switchboard-controlplane, and the switchboard-config
# tool (check, encrypt, decrypt), in /usr/local/bin.
#
#   docker build -t switchboard:dev .
#   docker run --rm -p 3000:3000 switchboard:dev        # the demo config, no key needed
#
# The build stage runs the repository's own scripts/setup and scripts/build,
# the same ones `scripts/test` and CI run, so the image is built the way the
# tests build. The data plane is built with profile-guided optimization
# (scripts/build-pgo: an instrumented build, a 20 s training run on loopback,
# the optimized build; README, Performance, has what it gains);
# `--build-arg PGO=0` builds it plainly, in half the time.
# `--build-arg RUN_TESTS=1` also runs the test suite on the built binaries (all
# but the `deploy` tests, which check deploy/k8s with kubectl, not the image).
# The runtime stage has only the shared libraries the binaries load
# (tests/deploy checks this list against `ldd` of the built binaries) and runs
# as the unprivileged user 10001. deploy/k8s/README.md has the rest.

FROM debian:12 AS build

ARG DEBIAN_FRONTEND=noninteractive
# Debian packages of services (prometheus, which the tests use) must not try
# to start them inside the build.
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d

WORKDIR /src
# What scripts/setup reads, first, so its layer (apt and npm packages) is
# reused while only the sources change. If setup starts reading another file,
# add it here: the build fails rather than drifts.
COPY scripts/ scripts/
COPY tests/sdk/install.sh tests/sdk/package.json tests/sdk/
COPY tests/deploy/install.sh tests/deploy/package.json tests/deploy/package-lock.json tests/deploy/
RUN scripts/setup

COPY . .
ARG PGO=1
ARG RUN_TESTS=0
RUN --mount=type=cache,target=/root/.cache/ccache \
    targets="switchboard-dataplane switchboard-controlplane switchboard-config"; \
    if [ "$PGO" = 1 ]; then \
      BUILD_DIR=build scripts/build-pgo --target $targets; \
    else \
      BUILD_DIR=build scripts/build --target $targets; \
    fi \
 && if [ "$RUN_TESTS" = 1 ]; then BUILD_DIR=build scripts/test -LE deploy; fi
RUN mkdir -p /out \
 && for bin in switchboard-dataplane switchboard-controlplane switchboard-config; do \
      path=$(find build -type f -name "$bin" -perm -u+x | head -n 1); \
      if [ -z "$path" ]; then echo "Dockerfile: $bin was not built" >&2; exit 1; fi; \
      install -m 0755 -s "$path" "/out/$bin"; \
    done


FROM debian:12-slim

ARG DEBIAN_FRONTEND=noninteractive
# The shared libraries of the binaries (Debian 12 package names), and the
# CA certificates that verify upstream APIs' TLS.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates \
      libabsl20220623 \
      libgrpc++1.51 \
      libmimalloc2.0 \
      libprometheus-cpp-core1.0 \
      libprotobuf32 \
      libre2-9 \
      libssl3 \
      libsimdjson14 \
      libyaml-cpp0.7 \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --gid 10001 switchboard \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /var/lib/switchboard \
      --shell /usr/sbin/nologin switchboard \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/switchboard \
 && install -d -m 0755 /etc/switchboard /etc/switchboard/secrets

COPY --from=build /out/ /usr/local/bin/
# A config that needs no key, so the image runs by itself; Kubernetes mounts
# the real one over it.
COPY examples/demo.yaml /etc/switchboard/config.yaml

LABEL org.opencontainers.image.title="switchboard" \
      org.opencontainers.image.description="Switchboard LLM API router: data plane and control plane"

USER 10001:10001
WORKDIR /var/lib/switchboard
# data plane API and admin (/metrics, /healthz, /readyz); control plane gRPC and metrics
EXPOSE 3000 9901 50051 9902
CMD ["switchboard-dataplane", "--config", "/etc/switchboard/config.yaml", \
     "--listen", "0.0.0.0:3000", "--admin-listen", "0.0.0.0:9901"]
