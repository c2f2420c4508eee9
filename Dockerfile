# One image for every Pacer process; the command picks the worker:
#   docker run pacer bun run worker:deadletter
# npm installs (lockfile, exact versions), Bun runs.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm install --no-save bun@1.4.4

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production PATH=/app/node_modules/.bin:$PATH PACER_DATA_DIR=/var/lib/pacer
RUN useradd --system --home /var/lib/pacer pacer && mkdir -p /var/lib/pacer && chown pacer /var/lib/pacer
COPY --from=deps /app/node_modules ./node_modules
COPY package.json bunfig.toml tsconfig.json ./
COPY lib ./lib
COPY workers ./workers
COPY gateway ./gateway
COPY sql ./sql
COPY simulators ./simulators
COPY scripts ./scripts
COPY web ./web
USER pacer
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# exec form: SIGTERM reaches Bun directly, so the drain runs.
CMD ["bun", "scripts/start.ts"]
