# sluice as a container: `docker build -t sluice .` then `docker run --rm sluice run PIPELINE -i ... -o ...`.
# Two stages: the first compiles src/ to dist/ (`npm ci` runs the `prepare` build, which needs the dev
# dependencies); the image gets dist/ and the production dependencies only.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/
COPY src ./src
RUN npm ci --no-audit --no-fund

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# --ignore-scripts: the `prepare` build already ran in the build stage (and TypeScript is not installed here).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY pipelines ./pipelines
COPY examples ./examples
COPY scripts/restart-on-crash.sh ./scripts/
# The working directory is where a stdout run's default dead-letter file goes (sluice-dead-letters.jsonl), and sluice
# checks before the first call that it can write there.
RUN chown node:node /app
USER node
ENTRYPOINT ["node", "bin/sluice.js"]
CMD ["--help"]
