#!/usr/bin/env bash
# Build e2e/cache-service, a small program that runs act's cache server on
# 127.0.0.1 (see e2e/cache-service/main.go), into the file given as $1
# (default: $CACHE_SERVER_BIN, else /usr/local/bin/go-buildx-cache-server).
# e2e/cache-faults.test.ts runs this script itself; running it beforehand
# only fills the Go module cache from the Go module proxy ahead of the tests.
#
# The module pins github.com/nektos/act v0.2.89, whose go.mod declares go 1.25.0.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
output="${1:-${CACHE_SERVER_BIN:-/usr/local/bin/go-buildx-cache-server}}"

if ! command -v go >/dev/null 2>&1; then
  echo "build-cache-server: go not found on PATH; Go >= 1.25 is needed to build $root/e2e/cache-service." >&2
  exit 1
fi

mkdir -p "$(dirname "$output")"
# GOTOOLCHAIN=local makes a too-old Go fail with a clear error instead of
# downloading another toolchain. -mod=readonly keeps go.mod and go.sum as
# committed.
cd "$root/e2e/cache-service"
GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -buildvcs=false -o "$output" .
printf 'build-cache-server: built %s\n' "$output" >&2
