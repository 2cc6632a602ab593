# syntax=docker/dockerfile:1.7
# The joinery reconciler image: `docker build -t <registry>/joinery:<version> .`
# The sources are TypeScript run by tsx (a runtime dependency), so there is no build step:
# one stage resolves the production dependencies, the runtime stage holds Node.js, git
# (simple-git drives the git binary), tini and the sources, and runs as uid 65532 (the
# user the generated Deployment's securityContext names).
#
# The base image is pinned by digest, so every build starts from the image that was reviewed
# and a moved tag cannot change what ships. The digest is the multi-arch index of
# node:20-alpine as Docker resolved it in public builds of 2026 (a buildkit log resolving
# `FROM node:20-alpine` to it, and another project's Dockerfile pinning it); this machine
# reaches no container registry, so it was not pulled here. To move to a newer image, look
# the digest up and replace it (Renovate's or Dependabot's docker manager bumps it as a PR):
#   docker buildx imagetools inspect node:20-alpine          # "Digest: sha256:<digest>" (the multi-arch index)
# A one-off build from another base: --build-arg NODE_IMAGE=<image>@sha256:<digest>.
ARG NODE_IMAGE=node:20-alpine@sha256:fb4cd12c85ee03686f6af5362a0b0d56d50c58a04632e6c0fb8363f609372293

FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no install script of a dependency runs (esbuild's platform binary
# comes in its optional dependency package and works without its postinstall check).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
# git + ssh for the policy repository, tini as PID 1 (reaps git's children, forwards SIGTERM).
# npm, npx, corepack and yarn are not needed at run time: removed with their attack surface.
RUN apk add --no-cache git openssh-client ca-certificates tini \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn* /usr/local/bin/yarn /usr/local/bin/yarnpkg \
 && addgroup -S -g 65532 joinery \
 && adduser -S -D -H -u 65532 -G joinery -h /tmp joinery
WORKDIR /app
COPY --from=dependencies --chown=0:0 /app/node_modules ./node_modules
COPY --chown=0:0 package.json tsconfig.json ./
COPY --chown=0:0 bin ./bin
COPY --chown=0:0 cli ./cli
COPY --chown=0:0 core ./core
COPY --chown=0:0 compiler ./compiler
COPY --chown=0:0 reconciler ./reconciler
COPY --chown=0:0 data ./data
# The root filesystem is read-only in the Pod; /tmp is an emptyDir (git checkout, tsx's
# transform cache, git's HOME).
ENV NODE_ENV=production HOME=/tmp JOINERY_WORK_DIR=/tmp/joinery
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/sbin/tini", "--", "node", "bin/joinery.js"]
CMD ["reconcile"]
