#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs mesh-controller with the example
# config (on the embedded API server unless a cluster is configured). Extra arguments are
# passed to mesh-controller; stop it with Ctrl-C or SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release > /dev/null
cmake --build --preset release -j"$(nproc)"
mkdir -p build/demo
key=build/demo/private.key
[[ -f "$key" ]] || build/release/io_real/mesh-controller keygen -o "$key" > /dev/null
exec build/release/io_real/mesh-controller -c config.example.yaml -k "$key" "$@"
