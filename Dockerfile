# syntax=docker/dockerfile:1
# ftwall: a privileged, host-network network function. Build:
#   docker build -t ftwall .
# Tests build it against a locally made base image: --build-arg BASE_IMAGE=<image> (see test/container).
ARG BASE_IMAGE=node:24-bookworm-slim

# ---- builder: the native addon and the TypeScript, with compilers ----
FROM ${BASE_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential python3 libnetfilter-queue-dev libmnl-dev libnftables-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
# node-gyp builds against this Node's own headers (no download). node-gyp's npm 11 spelling: npm
# warns about an npm_config_nodedir it does not know, and will stop passing it on.
ENV npm_package_config_node_gyp_nodedir=/usr/local
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY packages/nfqueue-bindings/package.json packages/nfqueue-bindings/binding.gyp packages/nfqueue-bindings/tsconfig.json packages/nfqueue-bindings/
COPY packages/nfqueue-bindings/src packages/nfqueue-bindings/src
COPY packages/nfqueue-bindings/lib packages/nfqueue-bindings/lib
RUN npm ci --no-audit --no-fund
COPY src src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: Node, iptables (nft and legacy), nft, libnetfilter-queue, libnftables; no compilers ----
FROM ${BASE_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends iptables nftables libnetfilter-queue1 libmnl0 libnftables1 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/ftwall
COPY --from=build /build/package.json ./
COPY --from=build /build/node_modules node_modules
COPY --from=build /build/dist dist
COPY --from=build /build/packages/nfqueue-bindings/package.json packages/nfqueue-bindings/
COPY --from=build /build/packages/nfqueue-bindings/dist packages/nfqueue-bindings/dist
COPY --from=build /build/packages/nfqueue-bindings/build/Release/nfqueue_bindings.node packages/nfqueue-bindings/build/Release/
COPY LICENSE README.md ./
# OCI labels, after the layers that take long, so a new version rebuilds none of them. VERSION
# follows package.json (a test holds it); SOURCE is where this tree is published:
# --build-arg SOURCE=<repository URL> (empty when not given, rather than a guessed address).
ARG VERSION=0.1.0
ARG SOURCE=
LABEL org.opencontainers.image.title="ftwall" \
      org.opencontainers.image.description="Stops FastTrack (Kazaa, iMesh, Grokster) clients on a LAN from reaching peers outside: an NFQUEUE network function for Linux routers" \
      org.opencontainers.image.licenses="GPL-2.0-or-later" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="${SOURCE}"
ENV NODE_ENV=production \
    FTWALL_STATE_DIR=/var/lib/ftwall
VOLUME /var/lib/ftwall
# /healthz on FTWALL_HTTP_ADDRESS (host networking: the router's loopback by default).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD ["node", "-e", "fetch('http://' + (process.env.FTWALL_HTTP_ADDRESS || '127.0.0.1:9490') + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and gets SIGTERM itself, so `docker stop` removes the rules.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/opt/ftwall/dist/cli.js"]
CMD ["run"]
