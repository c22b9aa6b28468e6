#!/usr/bin/env bash
# A/B comparison of mesh-bench builds on a shared, drifting VM: runs the given binaries in
# turn, ROUNDS times, so a slow stretch of the machine hits every binary alike, and prints each
# binary's results sorted (read the middle one). One result per round is the median of 3
# repetitions of the benchmark's real time in ms, or, with COUNTER set, that user counter.
#
#   bench/ab.sh /tmp/base/build/release/bench/mesh-bench build/release/bench/mesh-bench
#   FILTER='IdleMeshAfterStartUp/0' COUNTER='steady_node_inputs/s' bench/ab.sh A B
#
# FILTER (default SimSteady/5/1000/) selects one benchmark; ROUNDS defaults to 6.
set -euo pipefail
if [[ $# -lt 1 ]]; then
  echo "usage: [FILTER=...] [COUNTER=...] [ROUNDS=N] bench/ab.sh MESH_BENCH..." >&2
  exit 2
fi
filter="${FILTER:-SimSteady/5/1000/}"
counter="${COUNTER:-}"
rounds="${ROUNDS:-6}"
declare -A results
for _ in $(seq "$rounds"); do
  for binary in "$@"; do
    if [[ -z "$counter" ]]; then
      value=$("$binary" --benchmark_filter="$filter" --benchmark_repetitions=3 \
        --benchmark_report_aggregates_only=true 2>/dev/null | awk '/_median/ {print $2; exit}')
    else
      # Google Benchmark prints 1.02M or 999.4k: as a plain number, so the values sort.
      value=$("$binary" --benchmark_filter="$filter" 2>/dev/null |
        grep -oE "${counter}=[0-9.]+[kMG]?" | head -1 | cut -d= -f2 |
        awk '{ n = $0 + 0; s = substr($0, length($0));
               if (s == "k") n *= 1e3; else if (s == "M") n *= 1e6; else if (s == "G") n *= 1e9;
               printf "%.0f", n }')
    fi
    results[$binary]="${results[$binary]:-} ${value:-?}"
  done
done
for binary in "$@"; do
  echo "$binary:$(echo "${results[$binary]}" | tr ' ' '\n' | sort -g | tr '\n' ' ')"
done
