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
COPY scripts/restart-on-crash.sh ./scripts/
# The working directory is where a stdout run's default dead-letter file goes (sluice-dead-letters.jsonl), and sluice
# checks before the first call that it can write there.
RUN chown node:node /app
USER node
ENTRYPOINT ["node", "bin/sluice.js"]
CMD ["--help"]
