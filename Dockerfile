# sluice as a container: `docker build -t sluice .` then `docker run --rm sluice run PIPELINE -i ... -o ...`.
# The CLI runs its TypeScript sources through tsx (a runtime dependency), so there is no build step.
FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY pipelines ./pipelines
COPY examples ./examples
USER node
ENTRYPOINT ["node", "bin/sluice.js"]
CMD ["--help"]
