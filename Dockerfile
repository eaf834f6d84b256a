# users-api-mock: SAP Concur and iSpring Learn user-directory APIs, emulated.
#   docker build -t users-api-mock .
#   docker run --rm -p 8080:8080 -p 8443:8443 users-api-mock
# HTTP on 8080, HTTPS on 8443 with a local CA (GET /__admin/ca.pem); mount a volume at
# /app/state to keep the CA across containers. Extra tenant files: a directory of *.json
# fixtures mounted at /fixtures.

FROM node:24-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY fixtures ./fixtures
RUN npm run build

FROM node:24-trixie-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    TLS=true \
    TLS_PORT=8443 \
    STATE_DIR=/app/state \
    FIXTURES_DIR=/fixtures \
    NODE_COMPILE_CACHE=/app/.compile-cache
WORKDIR /app
# The bundle carries every dependency: no node_modules in the image.
COPY --from=build /app/package.json ./
COPY --from=build /app/dist/bundle ./dist/bundle
COPY --from=build /app/dist/swagger-ui ./dist/swagger-ui
COPY --from=build /app/fixtures ./fixtures
# Fill V8's compile cache once at build time: every container start skips parsing the bundle.
RUN mkdir -p /fixtures /app/.compile-cache /app/state \
 && node dist/bundle/server.mjs --version > /dev/null \
 && chown -R node:node /fixtures /app/.compile-cache /app/state
USER node
EXPOSE 8080 8443
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/bundle/server.mjs"]
