#!/usr/bin/env bash
# Builds the base image docker.io/local/node:24-bookworm-slim locally, because no registry is reachable here.
# It mirrors the official node:24-bookworm-slim: Debian bookworm (debootstrap --variant=minbase, slimmed),
# ca-certificates, /usr/local/bin/node (the Node binary of this repo's `node` devDependency, 24.x from npm) and npm
# (from the npm registry) in /usr/local/lib/node_modules/npm with /usr/local/bin/{npm,npx}. No yarn/corepack.
#
#   scripts/image/build-base.sh            build unless the image exists with the same node and npm versions
#   FORCE=1 scripts/image/build-base.sh    rebuild the image (the rootfs tarball cache is still used)
#
# Cache: the finished rootfs tarball is kept in ~/.cache/tern/image/ keyed by the node and npm versions, so that a
# wiped docker data dir only costs a `docker import` (a few seconds) instead of a debootstrap (~1 min).
# Env: BASE_IMAGE (default docker.io/local/node:24-bookworm-slim), NPM_VERSION (default 11.19.1),
#      NODE_BIN (default node_modules/node/bin/node), DEBIAN_MIRROR, DOCKER (default /usr/bin/docker). Needs root.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
DOCKER="${DOCKER:-/usr/bin/docker}"
BASE_IMAGE="${BASE_IMAGE:-docker.io/local/node:24-bookworm-slim}"
NPM_VERSION="${NPM_VERSION:-11.19.1}"
NODE_BIN="${NODE_BIN:-$root/node_modules/node/bin/node}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE=bookworm
cache="${TERN_CACHE:-$HOME/.cache/tern}/image"
log() { printf '[base] %s\n' "$*" >&2; }
die() { printf '[base] ERROR: %s\n' "$*" >&2; exit 1; }

[[ -x "$NODE_BIN" ]] || die "$NODE_BIN is missing: run npm ci first (the base image takes Node from the \`node\` devDependency)"
NODE_VERSION="$("$NODE_BIN" --version)"; NODE_VERSION="${NODE_VERSION#v}"
[[ "$NODE_VERSION" == 24.* ]] || log "warning: $NODE_BIN is Node $NODE_VERSION, the image is still named $BASE_IMAGE"
# The host's own extra CA certificates (/usr/local/share/ca-certificates, e.g. a TLS-intercepting egress proxy) go
# into the image's trust store, so that `npm ci` in the Dockerfiles' builder stages reaches the registry the way the
# host does (build-images.sh passes NODE_EXTRA_CA_CERTS to those stages). TERN_BASE_HOST_CAS=0 leaves them out.
host_cas=()
if [[ "${TERN_BASE_HOST_CAS:-1}" != 0 ]]; then
  shopt -s nullglob; host_cas=(/usr/local/share/ca-certificates/*.crt /usr/local/share/ca-certificates/*/*.crt); shopt -u nullglob
fi
ca_key=none
((${#host_cas[@]} == 0)) || ca_key="$(cat "${host_cas[@]}" | sha256sum | cut -c1-8)"
key="node-$NODE_VERSION-npm-$NPM_VERSION-ca-$ca_key"

if [[ -z "${FORCE:-}" ]] && have=$("$DOCKER" image inspect -f '{{index .Config.Labels "io.tern.base.key"}}' "$BASE_IMAGE" 2>/dev/null) && [[ "$have" == "$key" ]]; then
  log "$BASE_IMAGE is up to date ($key)"
  exit 0
fi

mkdir -p "$cache"
tarball="$cache/rootfs-$SUITE-$key.tar"
if [[ ! -s "$tarball" ]]; then
  [[ $(id -u) -eq 0 ]] || die "debootstrap needs root"
  command -v debootstrap >/dev/null || { apt-get install -y debootstrap >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y debootstrap >/dev/null; }; } || die "debootstrap is missing"
  work="$(mktemp -d /var/tmp/tern-base.XXXXXX)"
  R="$work/rootfs"
  cleanup() {
    for m in proc sys dev/pts dev; do mountpoint -q "$R/$m" 2>/dev/null && umount -l "$R/$m" || true; done
    rm -rf --one-file-system "$work"
  }
  trap cleanup EXIT
  t0=$(date +%s)
  log "debootstrap --variant=minbase $SUITE (log: $cache/debootstrap.log)"
  debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$R" "$DEBIAN_MIRROR" >"$cache/debootstrap.log" 2>&1 \
    || die "debootstrap failed; see $cache/debootstrap.log"
  log "debootstrap done in $(( $(date +%s) - t0 ))s"

  # --- slim it down, as debuerreotype's "slim" variant does for debian:bookworm-slim
  cat >"$R/etc/dpkg/dpkg.cfg.d/docker" <<'CFG'
# Keep docs, man pages and translations out of the image (as in debian:*-slim)
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG
  cat >"$R/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
  printf 'Acquire::Languages "none";\n' >"$R/etc/apt/apt.conf.d/docker-no-languages"
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$R/etc/apt/apt.conf.d/docker-no-recommends"
  rm -f "$R/etc/apt/sources.list"
  cat >"$R/etc/apt/sources.list.d/debian.sources" <<CFG
Types: deb
URIs: http://deb.debian.org/debian
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
CFG
  find "$R/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  find "$R/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  find "$R/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
  rm -rf "$R"/usr/share/{man,groff,info,lintian,linda}/* \
         "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/*.bin "$R"/var/cache/apt/archives/*.deb \
         "$R"/var/cache/debconf/*-old "$R"/var/lib/dpkg/*-old "$R"/var/log/*.log "$R"/var/log/apt/* \
         "$R"/tmp/* "$R"/var/tmp/* "$R"/root/.cache
  : >"$R/etc/resolv.conf"; : >"$R/etc/hostname"; rm -f "$R/etc/machine-id"; : >"$R/etc/machine-id"
  # device nodes: the container runtime mounts its own /dev
  for m in proc sys dev/pts dev; do mountpoint -q "$R/$m" && umount -l "$R/$m" || true; done
  rm -rf "${R:?}"/dev/* "${R:?}"/proc/* "${R:?}"/sys/* "${R:?}"/run/*
  chmod 1777 "$R/tmp" "$R/var/tmp"

  if ((${#host_cas[@]})); then
    for f in "${host_cas[@]}"; do install -D -m 0644 "$f" "$R${f}"; done
    chroot "$R" update-ca-certificates >/dev/null 2>&1 || die "update-ca-certificates failed in the rootfs"
    log "added ${#host_cas[@]} host CA certificate(s) to the trust store"
  fi

  # --- Node and npm, where the official image has them
  install -D -m 0755 "$NODE_BIN" "$R/usr/local/bin/node"
  log "npm pack npm@$NPM_VERSION"
  ( cd "$work" && npm pack --silent "npm@$NPM_VERSION" >/dev/null ) || die "npm pack npm@$NPM_VERSION failed"
  mkdir -p "$R/usr/local/lib/node_modules/npm"
  tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$R/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  chown -R 0:0 "$R/usr/local/lib/node_modules"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$R/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$R/usr/local/bin/npx"
  chroot "$R" /usr/local/bin/node --version >/dev/null || die "node does not run in the rootfs"
  chroot "$R" /usr/local/bin/npm --version >/dev/null || die "npm does not run in the rootfs"

  tar --numeric-owner --xattrs -C "$R" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  log "rootfs cached: $tarball ($(du -h "$tarball" | cut -f1)) in $(( $(date +%s) - t0 ))s"
  # older keys are stale
  find "$cache" -maxdepth 1 -name "rootfs-$SUITE-*.tar" ! -name "$(basename "$tarball")" -delete
else
  log "using cached rootfs $tarball"
fi

"$DOCKER" import \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  --change "LABEL io.tern.base.key=$key" \
  --change "LABEL org.opencontainers.image.description=\"Debian $SUITE minbase (slim) + Node $NODE_VERSION + npm $NPM_VERSION, built by scripts/image/build-base.sh\"" \
  --change 'CMD ["node"]' \
  --message "tern base: debian $SUITE slim, node $NODE_VERSION, npm $NPM_VERSION" \
  "$tarball" "$BASE_IMAGE" >/dev/null
log "imported $BASE_IMAGE ($key, $("$DOCKER" image inspect -f '{{.Size}}' "$BASE_IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
