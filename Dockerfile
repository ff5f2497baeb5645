# sigdesk's image: the API or the worker (the command chooses), for docker-compose.yml and any container platform.
FROM node:20-bookworm-slim
WORKDIR /app
# prlimit (util-linux) bounds the memory of the YARA-X engine processes
RUN apt-get update && apt-get install -y --no-install-recommends util-linux && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev
ENV NODE_ENV=production
EXPOSE 3000
CMD ["node", "dist/apps/api/src/main.js"]
