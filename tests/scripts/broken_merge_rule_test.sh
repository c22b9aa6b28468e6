#!/usr/bin/env bash
# The checkers catch a deliberately broken merge rule, and the replay command that mesh-sim
# prints reproduces the failure with the same trace hash (SIMULATOR "done when").
set -uo pipefail
sim=$1
scenario=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$sim" run "$scenario" --break-merge-rule > "$work/first.txt" 2>&1
code=$?
cat "$work/first.txt"
[[ $code == 1 ]] || fail "exit code $code, want 1 (a violation)"
grep -q "violation" "$work/first.txt" || fail "no violation reported"
replay=$(grep '^replay: ' "$work/first.txt" | sed 's/^replay: mesh-sim //')
[[ -n "$replay" ]] || fail "no replay command printed"
hash=$(grep -o 'trace [0-9a-f]\{16\}' "$work/first.txt" | head -1)
# shellcheck disable=SC2086
"$sim" $replay > "$work/replay.txt" 2>&1
code=$?
[[ $code == 1 ]] || fail "replay exit code $code, want 1"
grep -q "$hash" "$work/replay.txt" || fail "replay gave another trace than '$hash'"
# Without the broken rule the same scenario passes.
"$sim" run "$scenario" --no-determinism-check > /dev/null || fail "passes without the hook"
echo "broken merge rule caught and replayed: ok"
