#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the `docker compose` v2 plugin for the tests: bookworm has none, so it takes the binary
# from Debian trixie's docker-compose package, fetched with a private apt configuration (the
# system's own apt sources and state are left untouched) and placed in ~/.docker/cli-plugins.
set -euo pipefail
plugin="$HOME/.docker/cli-plugins/docker-compose"
if [ -x "$plugin" ] && "$plugin" version >/dev/null 2>&1; then exit 0; fi
cd "$(dirname "$0")/.."
dir="$PWD/.tools/trixie-apt"
mkdir -p "$dir/lists/partial" "$dir/archives/partial" "$dir/etc/preferences.d" "$dir/extract"
echo "deb http://deb.debian.org/debian trixie main" > "$dir/etc/sources.list"
apt_private=(-o "Dir::Etc::SourceList=$dir/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::Etc::PreferencesParts=$dir/etc/preferences.d" -o "Dir::State::Lists=$dir/lists"
  -o "Dir::Cache::Archives=$dir/archives" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=)
apt-get -q "${apt_private[@]}" update >/dev/null
(cd "$dir" && apt-get -q "${apt_private[@]}" download docker-compose >/dev/null)
dpkg-deb -x "$dir"/docker-compose_*.deb "$dir/extract"
binary=$(find "$dir/extract" -type f -name docker-compose -perm -u+x | head -n 1)
install -D -m 0755 "$binary" "$plugin"
"$plugin" version
