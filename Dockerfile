# syntax=docker/dockerfile:1
# One build, two images (DESIGN.md):
#   docker build --target control-plane -t trellis/control-plane .   operator, injector, trellisctl
#   docker build --target sidecar       -t trellis/sidecar .         trellis-init, trellis-proxy
# The local cluster runs these same entry points from this checkout (no Docker engine there).

FROM node:20-bookworm-slim AS build
# node-gyp builds the proxy's SO_ORIGINAL_DST addon during `npm ci` (the package's install script).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
COPY src/sidecar-image/proxy/native ./src/sidecar-image/proxy/native
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && mkdir -p dist/sidecar-image/proxy/native/build/Release \
 && cp src/sidecar-image/proxy/native/build/Release/original_dst.node dist/sidecar-image/proxy/native/build/Release/ \
 && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /opt/trellis
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist

FROM runtime AS control-plane
USER 65532:65532
# The operator's Deployment runs this; the injector's overrides the command with dist/webhook/main.js.
CMD ["node", "dist/operator/main.js"]

FROM runtime AS sidecar
# trellis-init writes the pod's rules with iptables-restore (nft backend) as root with NET_ADMIN/NET_RAW;
# trellis-proxy runs as 1337, the UID the rules leave uncaptured.
# The injector's containers call the programs by name (`trellis-init`, `trellis-proxy wait-ready`).
# trellis-proxy's node flags are src/sidecar-image/proxy/node-flags.ts (a test keeps them the same).
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables \
 && rm -rf /var/lib/apt/lists/* \
 && printf '#!/bin/sh\nexec node /opt/trellis/dist/sidecar-image/init/main.js "$@"\n' > /usr/local/bin/trellis-init \
 && printf '#!/bin/sh\nexec node --max-semi-space-size=1 --single-threaded-gc /opt/trellis/dist/sidecar-image/proxy/main.js "$@"\n' > /usr/local/bin/trellis-proxy \
 && chmod 0755 /usr/local/bin/trellis-init /usr/local/bin/trellis-proxy
USER 1337:1337
CMD ["trellis-proxy"]
