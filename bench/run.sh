#!/usr/bin/env bash
# Benchmarks of commerce-policy, each against a baseline measured in the same run.
# Needs: hyperfine, wrk, curl, /usr/bin/time (Debian: apt-get install hyperfine wrk time curl);
# the static section installs Debian's nginx when it is missing.
# Writes bench/results/*.{json,txt,md}; docs/performance.md quotes them. Not run in CI.
# The signin section also needs node and `npm ci --prefix tests/oidc`, and keyctl (keyutils).
# Usage: bench/run.sh [get] [wrk] [static] [update] [signin] [soak]   (all but soak when none is named)
# BENCH_POSTGRES=postgres://user@host/db adds that store's rows to the static section's table.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet -p commerce-cli
BIN=$PWD/target/release/commerce-policy
OUT=$PWD/bench/results
WORK=$(mktemp -d)
mkdir -p "$OUT"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
export COMMERCE_POLICY_DATA_DIR=$WORK/data
SECTIONS=${*:-get wrk static update signin}
want() { [[ " $SECTIONS " == *" $1 "* ]]; }

# Starts `serve` with extra flags on a free port; sets URL and PID.
serve() {
  local store=$1; shift
  "$BIN" serve --listen 127.0.0.1:0 --store "$store" "$@" > "$WORK/serve.out" 2> /dev/null &
  PID=$!
  for _ in $(seq 50); do
    URL=$(grep -o 'http://[0-9.:]*' "$WORK/serve.out" 2>/dev/null || true)
    [ -n "$URL" ] && return 0
    sleep 0.1
  done
  echo "serve did not start" >&2; exit 1
}

# A catalogue of N made-up products.
catalog() {
  python3 - "$1" > "$2" <<'PY'
import json, sys
n = int(sys.argv[1])
print(json.dumps({"source": "benchmark", "policies": [{"id": "AllowSelfServicePurchase", "description": "bench", "defaultValue": "Enabled"}],
                  "products": [{"id": "BENCH%07d" % i, "name": "Bench product %d" % i, "trials": False} for i in range(1, n + 1)]}))
PY
}

{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) ($(nproc) cores)"
  echo "memory: $(free -h | awk '/Mem:/ {print $2}')"
  echo "kernel: $(uname -r)"
  echo "rustc: $(rustc --version)"
  echo "binary: $(ls -l "$BIN" | awk '{print $5}') bytes (release, stripped)"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt"

serve "$WORK/one.db"
PRODUCT_URL="$URL/v1.0/policies/AllowSelfServicePurchase/products/CFQ7TTC0H9MP"
if want get; then
echo "== 1. one product-policies get: the binary vs curl of the same URL"
hyperfine --warmup 20 --runs 300 -N --export-json "$OUT/get.json" \
  -n curl "curl -s -H 'x-ms-correlation-id: 00000000-0000-0000-0000-000000000000' $PRODUCT_URL" \
  -n commerce-policy "$BIN --endpoint $URL product-policies get --product-id CFQ7TTC0H9MP -o json" \
  -n "commerce-policy (embedded local)" "$BIN --endpoint local product-policies get --product-id CFQ7TTC0H9MP -o json"
/usr/bin/time -f "%M" -o "$WORK/rss" "$BIN" --endpoint "$URL" product-policies get --product-id CFQ7TTC0H9MP -o json > /dev/null
echo "binary max RSS for one get: $(cat "$WORK/rss") KiB" | tee "$OUT/binary-rss.txt"
/usr/bin/time -f "%M" -o "$WORK/rss" curl -s "$PRODUCT_URL" > /dev/null
echo "curl max RSS for the same get: $(cat "$WORK/rss") KiB" | tee -a "$OUT/binary-rss.txt"
fi

if want wrk; then
echo "== 3. service GET throughput (wrk, 64 connections, 2 threads, 20 s)"
wrk -t2 -c64 -d20s --latency "$PRODUCT_URL" | tee "$OUT/wrk-product.txt"
wrk -t2 -c64 -d20s --latency "$URL/v1.0/policies/AllowSelfServicePurchase/products?scope=product" | tee "$OUT/wrk-list.txt"
echo "service RSS after load: $(awk '/VmRSS/ {print $2, $3}' /proc/$PID/status), peak $(awk '/VmHWM/ {print $2, $3}' /proc/$PID/status)" | tee "$OUT/service-rss.txt"
fi
kill $PID; wait $PID 2>/dev/null || true

if want static; then
echo "== 6. the product list: commerce-policy serve vs nginx serving the same bytes as a static file"
source bench/static.sh
static_table
fi

if want update; then
echo "== 2. update 100 products at 50 ms latency: one call vs one call per product"
catalog 100 "$WORK/catalog100.json"
serve "$WORK/hundred.db" --catalog "$WORK/catalog100.json" --simulate-latency 50ms
IDS=$(python3 -c "print(' '.join('BENCH%07d' % i for i in range(1, 101)))")
cat > "$WORK/one-by-one.sh" <<SH
for id in $IDS; do "$BIN" --endpoint $URL product-policies update --product-id \$id --value \$1 -o json > /dev/null; done
SH
# MSCommerce's pattern at its leanest: one PUT per product, nothing read first.
cat > "$WORK/curl-puts.sh" <<SH
for id in $IDS; do curl -s -o /dev/null -X PUT -H 'Content-Type: application/json' -d "{\"policyValue\":\"\$1\"}" $URL/v1.0/policies/AllowSelfServicePurchase/products/\$id; done
SH
# Alternate the wanted value so every run really changes all 100 products.
hyperfine --runs 6 --export-json "$OUT/update100.json" \
  -n "one update call (--all)" "$BIN --endpoint $URL product-policies update --all --value Disabled -o json > /dev/null; $BIN --endpoint $URL product-policies update --all --value Enabled -o json > /dev/null" \
  -n "100 one-product calls" "bash $WORK/one-by-one.sh Disabled; bash $WORK/one-by-one.sh Enabled" \
  -n "100 curl PUTs, one per product" "bash $WORK/curl-puts.sh Disabled; bash $WORK/curl-puts.sh Enabled"
kill $PID; wait $PID 2>/dev/null || true
fi

if want signin; then
echo "== 4. sign-in: what a command pays for its token, and what checking tokens costs the service"
node tests/oidc/provider.mjs > "$WORK/oidc.out" 2> /dev/null &
OIDC_PID=$!
for _ in $(seq 50); do OIDC=$(grep -o 'http://[0-9.:]*' "$WORK/oidc.out" 2>/dev/null || true); [ -n "$OIDC" ] && break; sleep 0.1; done
TENANT=5c0e6d6a-9b1f-4e0a-8f3e-2d7c4b1a9e60
WRITER=7d3c1f0a-2b4e-4c6d-8e9f-0a1b2c3d4e01
export COMMERCE_POLICY_CLIENT_SECRET=TESTONLY-writer-secret-Zq8vN3kW  # the test provider's, not a secret
serve "$WORK/auth.db" --auth jwt --issuer "$OIDC/$TENANT/v2.0" --audience aeb86249-8ea3-49e2-900b-54cc8e308f85 \
  --jwks-url "$OIDC/$TENANT/discovery/v2.0/keys"
TOKEN=$(curl -s -d client_id=$WRITER -d client_secret=$COMMERCE_POLICY_CLIENT_SECRET -d grant_type=client_credentials \
  -d scope=aeb86249-8ea3-49e2-900b-54cc8e308f85/.default "$OIDC/$TENANT/oauth2/v2.0/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
AUTH_URL="$URL/v1.0/policies/AllowSelfServicePurchase/products/CFQ7TTC0H9MP"
export COMMERCE_POLICY_KEYRING_SERVICE=commerce-policy-bench-$$
keyctl session - "$BIN" connect --tenant-id $TENANT --client-id $WRITER --client-secret --authority "$OIDC" --endpoint "$URL" > /dev/null 2>&1
GET="product-policies get --product-id CFQ7TTC0H9MP -o json"
hyperfine --warmup 10 --runs 100 -N --export-json "$OUT/signin.json" \
  -n "curl with a token" "curl -s -H 'Authorization: Bearer $TOKEN' $AUTH_URL" \
  -n "token in COMMERCE_POLICY_ACCESS_TOKEN" "env COMMERCE_POLICY_ACCESS_TOKEN=$TOKEN $BIN --endpoint $URL $GET" \
  -n "connected, token kept in the kernel keyring" "keyctl session - $BIN $GET" \
  -n "connected, no credential store (signs in each time)" "env COMMERCE_POLICY_KEYRING=none $BIN $GET" \
  -n "keyctl session - alone (the wrapper's own cost in row 3)" "keyctl session - true"
keyctl session - "$BIN" disconnect > /dev/null 2>&1
echo "-- wrk: the same GET, --auth jwt with a token, then --auth none"
wrk -t2 -c64 -d20s --latency -H "Authorization: Bearer $TOKEN" "$AUTH_URL" | tee "$OUT/wrk-auth.txt"
kill $PID; wait $PID 2>/dev/null || true
serve "$WORK/noauth.db"
wrk -t2 -c64 -d20s --latency "$URL/v1.0/policies/AllowSelfServicePurchase/products/CFQ7TTC0H9MP" | tee "$OUT/wrk-noauth.txt"
kill $PID; wait $PID 2>/dev/null || true
kill $OIDC_PID; wait $OIDC_PID 2>/dev/null || true
fi

if want soak; then
echo "== 5. soak: 1,000 connections for 60 s, mixed GET/PUT (bench/soak.lua)"
# 1,000 connections and the store's files need more than the usual 1,024 open files.
ulimit -n "$(ulimit -Hn)" 2> /dev/null || true
"$BIN" serve --listen 127.0.0.1:0 --store "$WORK/soak.db" --max-connections 1100 > "$WORK/serve.out" 2> "$WORK/soak.log" &
PID=$!
for _ in $(seq 50); do URL=$(grep -o 'http://[0-9.:]*' "$WORK/serve.out" 2>/dev/null || true); [ -n "$URL" ] && break; sleep 0.1; done
status() { echo "$1: RSS $(awk '/VmRSS/ {print $2, $3}' /proc/$PID/status), peak $(awk '/VmHWM/ {print $2, $3}' /proc/$PID/status), threads $(awk '/Threads/ {print $2}' /proc/$PID/status)"; }
{
  status "before load"
  wrk -t2 -c1000 -d60s --timeout 10s --latency -s bench/soak.lua "$URL"
  status "right after load"
  sleep 15
  status "15 s after load (past tokio's 10 s keep-alive of idle blocking threads)"
  echo "warnings logged: $(grep -c WARN "$WORK/soak.log" || true)"
} | tee "$OUT/soak.txt"
kill $PID; wait $PID 2>/dev/null || true
fi

echo "results in $OUT"
