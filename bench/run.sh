#!/usr/bin/env bash
# Benchmarks of commerce-policy, each against a baseline measured in the same run.
# Needs: hyperfine, wrk, curl, /usr/bin/time (Debian: apt-get install hyperfine wrk time curl).
# Writes bench/results/*.{json,txt}; docs/performance.md quotes them. Not run in CI.
# Usage: bench/run.sh [get] [wrk] [update]   (all three when none is named)
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet -p commerce-cli
BIN=$PWD/target/release/commerce-policy
OUT=$PWD/bench/results
WORK=$(mktemp -d)
mkdir -p "$OUT"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
export COMMERCE_POLICY_DATA_DIR=$WORK/data
SECTIONS=${*:-get wrk update}
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

echo "results in $OUT"
