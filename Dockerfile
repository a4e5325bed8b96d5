# Boxoffice's API, worker and migrate job (docker-compose.yml picks the command). TypeScript runs with
# tsx, as in development; glibc (not Alpine) because the Temporal SDK's native bridge needs it.
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production \
    PATH=/app/node_modules/.bin:$PATH

# Dependencies first, so a source change reuses this layer.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY . .

USER node
EXPOSE 3000
CMD ["tsx", "api/server.ts"]
