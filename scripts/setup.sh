#!/usr/bin/env bash
# Prepare this checkout to run the action and its tests: npm packages, a Docker
# Engine with Buildx, and the golang:1.26 and busybox base images that the
# examples build FROM. Each step keeps what is already there: a running engine
# (Docker Desktop, a system service, DOCKER_HOST), an installed Buildx plugin
# and images pulled from a registry are used as they are. Safe to run again.
#
# Installing a missing engine needs Debian's apt-get and root (or sudo), and
# building Buildx or the base images needs Go.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'setup: %s\n' "$*" >&2; }

if [[ ! -d node_modules || package-lock.json -nt node_modules ]]; then
  log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund >/dev/null
  touch node_modules
fi

bash scripts/install-docker.sh

if docker buildx version >/dev/null 2>&1; then
  log "using the installed $(docker buildx version | head -n 1)"
else
  bash scripts/install-buildx.sh
fi

bash scripts/build-base-images.sh
