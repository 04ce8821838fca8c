#!/usr/bin/env bash
# Start a container registry on 127.0.0.1:5000 for the end-to-end tests that
# push images, and wait until its /v2/ endpoint responds. It is Debian's
# docker-registry package (the CNCF distribution registry, 2.8 on bookworm),
# run as a plain process with its own config: loopback only, plain HTTP, no
# authentication, storage in a state directory under /tmp.
#
# dockerd accepts plain HTTP for registries in 127.0.0.0/8 without any
# insecure-registries setting, and Buildx's imagetools reads localhost,
# 127.0.0.1 and ::1 over plain HTTP, so neither needs configuration.
#
# Safe to run again: a registry that already responds on the address is used
# as it is.
#
# Environment:
#   REGISTRY_STATE_DIR      config, storage, log and pid file
#                           (default /tmp/go-buildx-action-registry)
#   REGISTRY_WAIT_SECONDS   how long to wait for /v2/ (default 30)
set -euo pipefail

log() { printf 'start-registry: %s\n' "$*" >&2; }

address=127.0.0.1:5000
state_dir="${REGISTRY_STATE_DIR:-/tmp/go-buildx-action-registry}"
wait_seconds="${REGISTRY_WAIT_SECONDS:-30}"

if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
else
  sudo_cmd=()
fi

# Return 0 when a distribution registry responds on $address. The API version
# header tells it apart from another server on the same port.
registry_answers() {
  curl -fsS -o /dev/null -D - --max-time 2 "http://$address/v2/" 2>/dev/null |
    grep -qi '^docker-distribution-api-version: registry/2.0'
}

if ! command -v curl >/dev/null 2>&1; then
  log "curl not found, installing it with apt-get"
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends curl
fi

if registry_answers; then
  log "a registry already answers at http://$address/v2/"
  exit 0
fi

if ! command -v docker-registry >/dev/null 2>&1; then
  log "docker-registry not found, installing it with apt-get"
  # The package's maintainer script starts a system service listening on
  # every interface (:5000) with the package's config. A policy-rc.d that
  # exits 101 stops invoke-rc.d and deb-systemd-invoke from starting it.
  # It is added only when the machine has none, and removed afterwards.
  policy=/usr/sbin/policy-rc.d
  added_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
    "${sudo_cmd[@]}" chmod 0755 "$policy"
    added_policy=1
  fi
  install_status=0
  {
    "${sudo_cmd[@]}" apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends docker-registry
  } || install_status=$?
  if (( added_policy )); then
    "${sudo_cmd[@]}" rm -f "$policy"
  fi
  if (( install_status != 0 )); then
    log "apt-get install docker-registry failed with exit code $install_status"
    exit "$install_status"
  fi
fi

mkdir -p "$state_dir/storage"
config="$state_dir/config.yml"
cat >"$config" <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $state_dir/storage
  delete:
    enabled: true
http:
  addr: $address
EOF

registry_log="$state_dir/registry.log"
pid_file="$state_dir/registry.pid"
if [[ -s "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
  log "registry process $(cat "$pid_file") from an earlier run is not answering; waiting for it"
  registry_pid="$(cat "$pid_file")"
else
  log "starting docker-registry on $address, storage in $state_dir/storage, log in $registry_log"
  # setsid detaches the registry from this script's process group, so it
  # keeps running after the calling shell or CI step exits.
  setsid docker-registry serve "$config" >>"$registry_log" 2>&1 </dev/null &
  registry_pid=$!
  echo "$registry_pid" >"$pid_file"
fi

deadline=$((SECONDS + wait_seconds))
until registry_answers; do
  if ! kill -0 "$registry_pid" 2>/dev/null; then
    echo "start-registry: docker-registry exited during start-up; last lines of $registry_log:" >&2
    tail -n 20 "$registry_log" >&2
    exit 1
  fi
  if (( SECONDS >= deadline )); then
    echo "start-registry: timed out after ${wait_seconds}s waiting for http://$address/v2/; last lines of $registry_log:" >&2
    tail -n 20 "$registry_log" >&2
    exit 1
  fi
  sleep 0.2
done

log "registry is running at http://$address (pid $registry_pid)"
