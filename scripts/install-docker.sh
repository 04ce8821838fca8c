#!/usr/bin/env bash
# Install Debian's docker.io (dockerd) when it is missing, and start dockerd in
# the background when no Docker Engine responds. Safe to run again.
#
# Environment:
#   DOCKERD_LOG            dockerd output file (default /tmp/dockerd.log)
#   DOCKERD_WAIT_SECONDS   how long to wait for the engine (default 60)
set -euo pipefail

log() { printf 'install-docker: %s\n' "$*" >&2; }

dockerd_log="${DOCKERD_LOG:-/tmp/dockerd.log}"
wait_seconds="${DOCKERD_WAIT_SECONDS:-60}"

if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
else
  sudo_cmd=()
fi

# An engine that already responds (Docker Desktop, a remote DOCKER_HOST, a
# system service) is used as it is, and nothing is installed.
if command -v docker >/dev/null 2>&1 && docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  log "Docker Engine $(docker version --format '{{.Server.Version}}') is already running"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  log "dockerd not found, installing docker.io with apt-get"
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends docker.io
fi

if ! command -v docker >/dev/null 2>&1; then
  echo "install-docker: the docker CLI is not on PATH; install it (Debian's docker.io also provides one)" >&2
  exit 1
fi

log "starting dockerd in the background, output in $dockerd_log"
# setsid detaches dockerd from this script's process group, so the engine
# keeps running after the calling shell or CI step exits.
"${sudo_cmd[@]}" setsid dockerd >"$dockerd_log" 2>&1 < /dev/null &
dockerd_pid=$!

deadline=$((SECONDS + wait_seconds))
until docker version --format '{{.Server.Version}}' >/dev/null 2>&1; do
  if ! kill -0 "$dockerd_pid" 2>/dev/null; then
    echo "install-docker: dockerd exited during start-up; last lines of $dockerd_log:" >&2
    tail -n 30 "$dockerd_log" >&2
    exit 1
  fi
  if (( SECONDS >= deadline )); then
    echo "install-docker: timed out after ${wait_seconds}s waiting for dockerd to respond; last lines of $dockerd_log:" >&2
    tail -n 30 "$dockerd_log" >&2
    exit 1
  fi
  sleep 0.5
done

log "Docker Engine $(docker version --format '{{.Server.Version}}') is running (pid $dockerd_pid)"
