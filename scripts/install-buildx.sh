#!/usr/bin/env bash
# Build Docker Buildx from source with `go install` and install it as the
# docker CLI plugin ${DOCKER_CONFIG:-~/.docker}/cli-plugins/docker-buildx.
# Safe to run again: it does nothing when that plugin already reports the
# pinned version.
#
# Buildx is pinned to a release whose go.mod has no replace or exclude
# directives, because `go install pkg@version` rejects modules that have them
# (buildx v0.29.1 and older carry an exclude block). v0.38.2 needs Go >= 1.26.8.
#
# Environment:
#   BUILDX_VERSION   release tag to build (default below)
#   DOCKER_CONFIG    docker CLI configuration folder (default ~/.docker)
set -euo pipefail

log() { printf 'install-buildx: %s\n' "$*" >&2; }

buildx_version="${BUILDX_VERSION:-v0.38.2}"
plugin_dir="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
plugin_path="$plugin_dir/docker-buildx"

if [[ -x "$plugin_path" ]] && "$plugin_path" version 2>/dev/null | grep -qF " $buildx_version "; then
  log "buildx $buildx_version is already installed at $plugin_path"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "install-buildx: go not found on PATH; buildx $buildx_version is built from source and needs Go >= 1.26.8" >&2
  exit 1
fi

gobin="$(mktemp -d)"
trap 'rm -rf "$gobin"' EXIT

log "building github.com/docker/buildx/cmd/buildx@$buildx_version with $(go env GOVERSION)"
# The release build sets version.Version through -ldflags. Without it,
# `docker buildx version` prints v0.0.0+unknown.
# GOTOOLCHAIN=local makes a too-old Go fail here with a clear error instead of
# downloading another toolchain.
GOTOOLCHAIN=local GOBIN="$gobin" CGO_ENABLED=0 go install \
  -trimpath \
  -ldflags "-s -w -X github.com/docker/buildx/version.Version=$buildx_version" \
  "github.com/docker/buildx/cmd/buildx@$buildx_version"

mkdir -p "$plugin_dir"
install -m 0755 "$gobin/buildx" "$plugin_path"
log "installed $("$plugin_path" version) at $plugin_path"

if command -v docker >/dev/null 2>&1; then
  docker buildx version
fi
