#!/usr/bin/env bash
# Installs, as root, the Debian 12 packages this project builds and tests with.
# Idempotent: asks apt only for the packages that are missing, so a second run is a no-op
# and works offline.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git xxd openssl
  libsodium-dev libboost1.74-dev libssl-dev libyaml-cpp-dev nlohmann-json3-dev
  librapidcheck-dev libgtest-dev libgmock-dev libspdlog-dev libfmt-dev libcli11-dev
  prometheus-cpp-dev libbenchmark-dev libtcmalloc-minimal4 python3
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$package")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or with sudo) to install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
