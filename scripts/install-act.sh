#!/usr/bin/env bash
# Build nektos/act from source with `go install` and install it as
# /usr/local/bin/act (or $ACT_BIN_DIR/act). e2e/act.test.ts runs the example
# workflow with it. Safe to run again: it does nothing when that binary already
# reports the pinned version.
#
# act is pinned to a release whose go.mod has no replace or exclude directives,
# because `go install pkg@version` rejects modules that have them. v0.2.89
# declares go 1.25.0 and builds with Go 1.26.8. Its built-in cache server
# serves the v1 cache protocol (/_apis/artifactcache), which @actions/cache 6
# uses while ACTIONS_CACHE_SERVICE_V2 is unset.
#
# Environment:
#   ACT_VERSION   release tag to build (default below)
#   ACT_BIN_DIR   folder to install the act binary into (default /usr/local/bin)
set -euo pipefail

log() { printf 'install-act: %s\n' "$*" >&2; }

act_version="${ACT_VERSION:-v0.2.89}"
bin_dir="${ACT_BIN_DIR:-/usr/local/bin}"
act_path="$bin_dir/act"

# act v0.2.89 asks its project server for release notices on every start
# unless this is set.
export ACT_DISABLE_VERSION_CHECK=1

# `act --version` prints "act version 0.2.89", without the leading v.
if [[ -x "$act_path" ]] && "$act_path" --version 2>/dev/null | grep -qxF "act version ${act_version#v}"; then
  log "act $act_version is already installed at $act_path"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "install-act: go not found on PATH. act $act_version is built from source and needs Go >= 1.25." >&2
  exit 1
fi

gobin="$(mktemp -d)"
trap 'rm -rf "$gobin"' EXIT

log "building github.com/nektos/act@$act_version with $(go env GOVERSION)"
# GOTOOLCHAIN=local makes a too-old Go fail here with a clear error instead of
# downloading another toolchain. act reads its version from the module build
# information, so no -ldflags are needed.
GOTOOLCHAIN=local GOBIN="$gobin" CGO_ENABLED=0 go install -trimpath \
  "github.com/nektos/act@$act_version"

mkdir -p "$bin_dir"
install -m 0755 "$gobin/act" "$act_path"
log "installed $("$act_path" --version) at $act_path"
