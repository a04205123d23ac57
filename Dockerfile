# syntax=docker/dockerfile:1
# Gatehouse in a container: built in one stage, run from a slim one as a
# non-root user. Untested on the machines Gatehouse is developed on (no image
# can be pulled there): test/distribution.spec.ts checks what it says, not
# that it builds. See docs (Operations, "Containers").

# --- build: the compiler sqlite3's native addon needs, dev dependencies, tsc ---
FROM node:24-bookworm-slim AS build
WORKDIR /app
# node-gyp builds sqlite3 against this stage's Node, the same major as the runtime's.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# postinstall (scripts/node-runtime.mjs) downloads nothing on Node 24.
COPY scripts ./scripts
COPY node-runtime/package.json node-runtime/package-lock.json ./node-runtime/
RUN npm ci
COPY . .
RUN npm run build \
 && npm prune --omit=dev

# --- runtime: Node, the production dependencies and dist/ only ---
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=sqlite:/app/data/app.sqlite
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# The image's files belong to root and are read-only to the service; only its data folder (SQLite) is its own.
RUN mkdir -p /app/data && chown node:node /app/data && chmod 700 /app/data
USER node
EXPOSE 3000
# /health/ready: 503 from the moment the instance is told to stop (SHUTDOWN_DRAIN). fetch, as the slim image has no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself as PID 1, not npm or a shell: SIGTERM reaches the service, which drains and exits 0 (ShutdownService).
# The flags of npm start (package.json): a young generation of 8 MB semi-spaces (docs/PERFORMANCE.md, "Memory").
CMD ["node", "--max-semi-space-size=8", "dist/src/main.js"]
