#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds (warnings are errors), and runs every
# test with CTest. MESH_PROPERTY_CASES=N runs N cases per property (default 100; CI size).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release > /dev/null
cmake --build --preset release -j"$(nproc)"
export RC_PARAMS="${RC_PARAMS:-max_success=${MESH_PROPERTY_CASES:-100}}"
ctest --preset release -j"$(nproc)" --timeout 900
