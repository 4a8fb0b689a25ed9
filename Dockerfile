# syntax=docker/dockerfile:1
# The app as a container: built once in a stage with the dev dependencies and a C++ toolchain, run from a stage that
# holds only the bundle and the production dependencies, as the unprivileged `node` user.
#   docker build -t portkey-slack-admin .
#   docker run --env-file .env -p 3000:3000 -v portkey-data:/data portkey-slack-admin
# scripts/image-check.sh runs these same steps without a container daemon (CI does, on every run).

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 compiles from source when no prebuilt binary can be downloaded for the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY scripts/build.mjs scripts/inputs.mjs scripts/start.mjs scripts/healthcheck.mjs ./scripts/
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/scripts/healthcheck.mjs ./scripts/healthcheck.mjs
# Every interface: inside a container, 127.0.0.1 would be unreachable from outside it.
# DATA_DIR is the volume. The generated secrets key (SQLite without SECRETS_KEY) goes to
# /home/node/.config/portkey-slack/secrets.key, deliberately not in that volume: a copy of the data must not hold the
# key that opens its secrets. Set SECRETS_KEY, or mount the key file (SECRETS_KEY_FILE), to keep it across containers.
ENV HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
RUN mkdir -p /data /home/node/.config/portkey-slack \
 && chown node:node /data /home/node/.config /home/node/.config/portkey-slack \
 && chmod 700 /home/node/.config/portkey-slack
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "scripts/healthcheck.mjs"]
# node itself, not npm: signals (SIGTERM on docker stop) reach the app, which drains and exits 0.
CMD ["node", "dist/main.js"]
