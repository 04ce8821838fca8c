#!/usr/bin/env bash
# Build the base images that the example Dockerfiles start FROM, without
# pulling anything from a container registry:
#
#   golang:1.26     busybox (shell, coreutils, tar, wget), CA certificates and
#                   the host's Go toolchain at /usr/local/go
#   busybox:latest  busybox and CA certificates only
#
# Each image is one layer made with `docker import` from a tarball that this
# script assembles. Busybox comes from Debian's busybox-static package and the
# CA bundle from the host's /etc/ssl/certs/ca-certificates.crt.
#
# Safe to run again: an image is rebuilt only when its inputs (this script,
# the Go version, busybox, the CA bundle, the Go environment) change. The
# check compares the input digest stored in the image label
# go-buildx-action.base-inputs.
#
# Environment:
#   GO_IMAGE        tag of the Go builder image (default golang:1.26)
#   BUSYBOX_IMAGE   tag of the busybox image (default busybox:latest)
set -euo pipefail

log() { printf 'build-base-images: %s\n' "$*" >&2; }

go_image="${GO_IMAGE:-golang:1.26}"
busybox_image="${BUSYBOX_IMAGE:-busybox:latest}"
label_key="go-buildx-action.base-inputs"

for tool in docker go tar dpkg-deb apt-get sha256sum; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "build-base-images: $tool not found on PATH" >&2
    exit 1
  fi
done

ca_bundle=/etc/ssl/certs/ca-certificates.crt
if [[ ! -s "$ca_bundle" ]]; then
  echo "build-base-images: CA bundle $ca_bundle is missing; install Debian's ca-certificates package" >&2
  exit 1
fi

goroot="$(go env GOROOT)"
go_version="$(go env GOVERSION)"

# Go settings copied into the image, so that `go mod download` inside a build
# uses the same module proxy and flags as the host.
go_env_lines=()
for name in GOPROXY GOFLAGS GOSUMDB GONOSUMDB GOPRIVATE GONOPROXY GOINSECURE; do
  value="$(go env "$name")"
  if [[ -n "$value" ]]; then
    go_env_lines+=("$name=$value")
  fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Fetch busybox-static as a .deb and unpack it into the work folder, so the
# host's own packages stay as they are.
fetch_busybox() {
  local deb_dir="$work/deb"
  mkdir -p "$deb_dir"
  # The sandbox user _apt cannot write into a mktemp folder, so download as root.
  if ! (cd "$deb_dir" && apt-get download -q -o APT::Sandbox::User=root busybox-static >/dev/null); then
    log "apt-get download busybox-static failed, running apt-get update and trying again"
    apt-get update -q >/dev/null
    (cd "$deb_dir" && apt-get download -q -o APT::Sandbox::User=root busybox-static >/dev/null)
  fi
  dpkg-deb -x "$deb_dir"/busybox-static_*.deb "$work/busybox-deb"
  busybox_bin="$work/busybox-deb/bin/busybox"
  busybox_version="$(dpkg-deb -f "$deb_dir"/busybox-static_*.deb Version)"
}

# Lay out a minimal root file system in $1. It contains busybox with one
# symlink per applet at the applet's usual path, CA certificates, passwd and
# group entries for root and nobody, and /tmp.
make_rootfs() {
  local rootfs="$1"
  mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc/ssl/certs,root,tmp}
  chmod 1777 "$rootfs/tmp"
  chmod 0700 "$rootfs/root"
  install -m 0755 "$busybox_bin" "$rootfs/bin/busybox"

  local applet
  while read -r applet; do
    if [[ "$applet" != bin/busybox && ! -e "$rootfs/$applet" ]]; then
      ln -s /bin/busybox "$rootfs/$applet"
    fi
  done < <("$busybox_bin" --list-full)

  install -m 0644 "$ca_bundle" "$rootfs/etc/ssl/certs/ca-certificates.crt"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$rootfs/etc/group"
  printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
}

# Return 0 when image $1 exists and carries input digest $2, or when it exists
# without this script's label: an image pulled from a registry or built
# another way is kept as it is, never replaced.
image_is_current() {
  local current
  if ! current="$(docker image inspect --format "{{ index .Config.Labels \"$label_key\" }}" "$1" 2>/dev/null)"; then
    return 1
  fi
  if [[ -z "$current" || "$current" == "<no value>" ]]; then
    log "keeping $1, which this script did not build"
    return 0
  fi
  [[ "$current" == "$2" ]]
}

fetch_busybox
script_digest="$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)"
ca_digest="$(sha256sum "$ca_bundle" | cut -d' ' -f1)"
base_digest="$(printf '%s\n' "$script_digest" "$busybox_version" "$ca_digest" | sha256sum | cut -d' ' -f1)"
go_digest="$(printf '%s\n' "$base_digest" "$go_version" "$goroot" "${go_env_lines[@]}" | sha256sum | cut -d' ' -f1)"

base_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

rootfs="$work/rootfs"
make_rootfs "$rootfs"

if image_is_current "$busybox_image" "$base_digest"; then
  log "$busybox_image is up to date"
else
  log "importing $busybox_image (busybox $busybox_version)"
  tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -cf - . |
    docker import \
      --change "ENV PATH=$base_path" \
      --change "LABEL $label_key=$base_digest" \
      --change 'CMD ["/bin/sh"]' \
      - "$busybox_image" >/dev/null
fi

if image_is_current "$go_image" "$go_digest"; then
  log "$go_image is up to date ($go_version)"
else
  log "importing $go_image ($go_version from $goroot, busybox $busybox_version)"
  mkdir -p "$rootfs/go/bin" "$rootfs/go/src" "$rootfs/usr/local"
  chmod -R 0777 "$rootfs/go"

  go_changes=(
    --change "ENV PATH=/usr/local/go/bin:/go/bin:$base_path"
    --change "ENV GOPATH=/go"
    # The official golang images also set GOTOOLCHAIN=local, so a go.mod that
    # requires a newer Go fails instead of downloading a toolchain.
    --change "ENV GOTOOLCHAIN=local"
    --change "WORKDIR /go"
    --change "LABEL $label_key=$go_digest"
    --change 'CMD ["/bin/sh"]'
  )
  for line in "${go_env_lines[@]}"; do
    go_changes+=(--change "ENV $line")
  done

  # One tar stream: the root file system, then GOROOT renamed to usr/local/go.
  # The S flag keeps symlink targets inside GOROOT unchanged.
  goroot_parent="$(dirname "$goroot")"
  goroot_name="$(basename "$goroot")"
  tar --numeric-owner --owner=0 --group=0 -cf - \
    -C "$rootfs" . \
    -C "$goroot_parent" --transform "s,^$goroot_name,usr/local/go,S" "$goroot_name" |
    docker import "${go_changes[@]}" - "$go_image" >/dev/null
fi

docker image ls --format '{{.Repository}}:{{.Tag}}  {{.ID}}  {{.Size}}' "${go_image%%:*}" >&2
docker image ls --format '{{.Repository}}:{{.Tag}}  {{.ID}}  {{.Size}}' "${busybox_image%%:*}" >&2
