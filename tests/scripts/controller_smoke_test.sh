#!/usr/bin/env bash
# End-to-end checks of the mesh-controller binary (FOUNDATION "done when"):
#   keygen + pubkey equal the key openssl derives; the README's openssl recipe gives a key
#   file we accept; the controller starts, logs key, zone and ports, and exits 0 within 2 s of
#   SIGTERM; a malformed config exits 2 naming file, line and key.
set -euo pipefail
binary=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. keygen/pubkey agree with each other and with openssl.
printed=$("$binary" keygen -o k.hex)
[[ $(stat -c %a k.hex) == 600 ]] || fail "key file mode is $(stat -c %a k.hex), want 600"
[[ $("$binary" pubkey -k k.hex) == "$printed" ]] || fail "pubkey differs from keygen output"
# openssl wants the key as DER: PKCS#8 prefix for Ed25519 + the 32-byte seed.
{ printf '302e020100300506032b657004220420' ; tr -d '\n' < k.hex; } | xxd -r -p > k.der
openssl_pub=$(openssl pkey -inform der -in k.der -pubout -outform der | tail -c 32 | xxd -p -c 64)
[[ "$openssl_pub" == "$printed" ]] || fail "openssl derives $openssl_pub, we print $printed"
"$binary" keygen -o k.hex 2>/dev/null && fail "keygen overwrote an existing key"

# 2. The README recipe produces a key file we accept, with the public key openssl derives.
openssl genpkey -algorithm ed25519 -outform der -out recipe.der
xxd -plain -cols 32 -s -32 recipe.der > recipe.hex
recipe_pub=$(openssl pkey -inform der -in recipe.der -pubout -outform der | tail -c 32 | xxd -p -c 64)
[[ $("$binary" pubkey -k recipe.hex) == "$recipe_pub" ]] || fail "recipe key mismatch"

# 3. The controller starts with the example config, logs, and stops on SIGTERM within 2 s.
"$binary" -c "$source_dir/config.example.yaml" -k k.hex > out.log 2> err.log &
pid=$!
for _ in $(seq 1 50); do
  grep -q "running" err.log && break
  sleep 0.1
done
grep -q "public key $printed" err.log || { cat err.log; fail "start log lacks the public key"; }
grep -q "zone zone1" err.log || { cat err.log; fail "start log lacks the zone"; }
grep -q "mesh port 9102, http port 3000" err.log || { cat err.log; fail "start log lacks ports"; }
kill -TERM "$pid"
for _ in $(seq 1 20); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid"; fail "still running 2 s after SIGTERM"; }
wait "$pid" || fail "exit code $? after SIGTERM, want 0"

# 4. A malformed config exits 2 and names file, line and key.
printf 'mesh:\n  zone: a\nhttp_bind_port: [1]\n' > bad.yaml
set +e
"$binary" -c bad.yaml -k k.hex 2> bad.err
code=$?
set -e
[[ $code == 2 ]] || fail "malformed config exited $code, want 2"
grep -q "bad.yaml:3: http_bind_port:" bad.err || { cat bad.err; fail "error lacks file:line: key"; }

# 5. A bad key file exits 2 and names the file.
echo "zz" > bad.hex
set +e
"$binary" -c "$source_dir/config.example.yaml" -k bad.hex 2> badkey.err
code=$?
set -e
[[ $code == 2 ]] || fail "bad key exited $code, want 2"
grep -q "bad.hex" badkey.err || { cat badkey.err; fail "key error lacks the path"; }
echo "controller smoke test: ok"
