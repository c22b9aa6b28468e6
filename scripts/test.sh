#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds (warnings are errors), and runs every
# test with CTest. MESH_PROPERTY_CASES=N runs N cases per property (default 100; CI size).
# Properties run from a pinned rapidcheck seed (MESH_PROPERTY_SEED, default 1), so a run
# passes or fails for the code alone; MESH_PROPERTY_SEED=random draws a new seed each run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release > /dev/null
cmake --build --preset release -j"$(nproc)"
seed_param="seed=${MESH_PROPERTY_SEED:-1}"
if [[ "${MESH_PROPERTY_SEED:-}" == random ]]; then seed_param=""; fi
export RC_PARAMS="${RC_PARAMS:-max_success=${MESH_PROPERTY_CASES:-100} ${seed_param}}"
ctest --preset release -j"$(nproc)" --timeout 900
