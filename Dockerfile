# Boxoffice's API, worker and migrate job (docker-compose.yml picks the command). TypeScript runs with
# tsx, as in development; glibc (not Alpine) because the Temporal SDK's native bridge needs it.

# The web pages' client bundle, built with the dev dependencies (Vite) the final image leaves out.
FROM node:20-bookworm-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:web

FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production \
    PATH=/app/node_modules/.bin:$PATH

# Dependencies first, so a source change reuses this layer.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY . .
# With NODE_ENV=production the API serves the pages from this prebuilt bundle (api/pages/assets.ts).
COPY --from=web /app/web/dist ./web/dist

USER node
EXPOSE 3000
CMD ["tsx", "api/server.ts"]
