#!/usr/bin/env bash
# Benchmarks of the self-service purchase administration (issue 11; docs/performance.md,
# "Administration"): over a tenant of 10,000 users and 2,000 self-service subscriptions,
# `subscriptions list --self-service` and `licenses export` of every subscription (the
# binary's time, hyperfine; the service's peak memory), and a take-over that moves 500 users.
# Needs: hyperfine, python3, /usr/bin/time. Writes bench/results/admin-*.{json,txt}.
# Usage: bench/admin.sh [list] [move]   (both when none is named; builds the release binary
# once; not run in CI)
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet -p commerce-cli
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/commerce-policy
OUT=$PWD/bench/results
WORK=$(mktemp -d)
mkdir -p "$OUT"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
export COMMERCE_POLICY_DATA_DIR=$WORK/data
SECTIONS=${*:-list move}
want() { [[ " $SECTIONS " == *" $1 "* ]]; }

# Starts `serve` over a store on a free port (or the one given); sets URL and PID.
serve() {
  local store=$1 listen=${2:-127.0.0.1:0}
  "$BIN" serve --listen "$listen" --store "$store" > "$WORK/serve.out" 2> /dev/null &
  PID=$!
  for _ in $(seq 100); do
    URL=$(grep -o 'http://[0-9.:]*' "$WORK/serve.out" 2>/dev/null || true)
    [ -n "$URL" ] && return 0
    sleep 0.1
  done
  echo "serve did not start" >&2; exit 1
}

{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) ($(nproc) cores)"
  echo "memory: $(free -h | awk '/Mem:/ {print $2}')"
  echo "rustc: $(rustc --version)"
} > "$OUT/admin-machine.txt"
cat "$OUT/admin-machine.txt"

if want list; then
echo "== seeding 10,000 users and 2,000 subscriptions"
serve "$WORK/tenant.db"
/usr/bin/time -f "seeded in %e s" python3 bench/admin_seed.py "$URL" tenant 2>&1 | tee "$OUT/admin-seed.txt"
"$BIN" --endpoint "$URL" subscriptions list --self-service -o json \
  | python3 -c "import json,sys; print('\n'.join(s['SubscriptionId'] for s in json.load(sys.stdin)))" > "$WORK/ids"
echo "subscriptions: $(wc -l < "$WORK/ids")"

echo "== 1. subscriptions list --self-service and licenses export (every subscription)"
hyperfine --warmup 2 --runs 15 -N --export-json "$OUT/admin-list-export.json" \
  -n "subscriptions list --self-service -o json" "$BIN --endpoint $URL subscriptions list --self-service -o json" \
  -n "subscriptions list --self-service (table)" "$BIN --endpoint $URL subscriptions list --self-service" \
  -n "licenses list --self-service -o json" "$BIN --endpoint $URL licenses list --self-service -o json"
hyperfine --warmup 1 --runs 10 --export-json "$OUT/admin-export.json" \
  -n "licenses export (2,000 subscriptions, 10,000 rows)" \
  "$BIN --endpoint $URL licenses export --subscription - --out $WORK/export.csv < $WORK/ids"
echo "rows exported: $(($(wc -l < "$WORK/export.csv") - 1))"
echo "service peak RSS (VmHWM) after the lists and exports: $(awk '/VmHWM/ {print $2, $3}' /proc/$PID/status)" \
  | tee "$OUT/admin-service-rss.txt"
/usr/bin/time -f "binary max RSS for the export: %M KiB" -a -o "$OUT/admin-service-rss.txt" \
  "$BIN" --endpoint "$URL" licenses export --subscription - --out "$WORK/export.csv" < "$WORK/ids"
tail -1 "$OUT/admin-service-rss.txt"
kill $PID; wait $PID 2>/dev/null || true
fi

if want move; then
echo "== 2. take-over moving 500 users (each run on a fresh copy of the seeded store)"
serve "$WORK/move-seed.db"
read -r SUB TARGET < <(python3 bench/admin_seed.py "$URL" move)
kill $PID; wait $PID 2>/dev/null || true
PORT=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
cat > "$WORK/fresh.sh" <<SH
#!/usr/bin/env bash
# Stops the service of the last run, copies the seeded store, starts a service over it.
if [ -f "$WORK/move.pid" ]; then
  OLD=\$(cat "$WORK/move.pid"); kill \$OLD 2>/dev/null || true
  while kill -0 \$OLD 2>/dev/null; do sleep 0.05; done
fi
rm -f "$WORK"/move.db*
for f in "$WORK"/move-seed.db*; do cp "\$f" "\${f/move-seed/move}"; done
"$BIN" serve --listen 127.0.0.1:$PORT --store "$WORK/move.db" > /dev/null 2>&1 &
echo \$! > "$WORK/move.pid"
for _ in \$(seq 100); do curl -sf http://127.0.0.1:$PORT/healthz > /dev/null && exit 0; sleep 0.05; done
exit 1
SH
hyperfine --runs 10 -N --prepare "bash $WORK/fresh.sh" --export-json "$OUT/admin-move.json" \
  -n "take-over --what-if (500 users)" "$BIN --endpoint http://127.0.0.1:$PORT subscriptions take-over $SUB --move-to $TARGET --what-if -o json" \
  -n "take-over --move-to (500 users)" "$BIN --endpoint http://127.0.0.1:$PORT subscriptions take-over $SUB --move-to $TARGET -o json"
kill "$(cat "$WORK/move.pid")" 2>/dev/null || true
fi
