# syntax=docker/dockerfile:1.7
# The joinery reconciler image: `docker build -t <registry>/joinery:<version> .`
# The sources are TypeScript run by tsx (a runtime dependency), so there is no build step:
# one stage resolves the production dependencies, the runtime stage holds Node.js, git
# (simple-git drives the git binary), tini and the sources, and runs as uid 65532 (the
# user the generated Deployment's securityContext names).
#
# The base image is a build arg because a tag moves: pin it by digest in CI, so every build
# starts from the image that was reviewed. Look the digest up and pass it:
#   docker buildx imagetools inspect node:20-alpine          # "Digest: sha256:<digest>" (the multi-arch index)
#   docker build --build-arg NODE_IMAGE=node:20-alpine@sha256:<digest> -t <registry>/joinery:<version> .
# Or write the pinned reference as the default below (node:20-alpine@sha256:<digest>) and let
# Renovate or Dependabot bump it. The default here is not pinned: no digest has been looked
# up and verified for it yet, and an unverified one would be worse than none.
ARG NODE_IMAGE=node:20-alpine

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
