# Section 6 of bench/run.sh (sourced, uses its BIN, WORK, OUT): the product-list GET of
# `commerce-policy serve` against Debian's nginx serving the same JSON bytes as a static file,
# all in one run, wrk with 2 threads and 64 connections each. Rows: nginx static, SQLite with
# one replica, SQLite with three replicas on one file behind nginx as the load balancer, and the
# same two on PostgreSQL when BENCH_POSTGRES names a database (postgres://user@host/db).
# Writes bench/results/static-table.md (the table) and wrk-static.txt (wrk's own output).

LIST_PATH="/v1.0/policies/AllowSelfServicePurchase/products?scope=product"
STATIC_SECONDS=${BENCH_SECONDS:-15}

# Debian's nginx, installed quietly when missing.
NGINX=/usr/sbin/nginx
need_nginx() {
  [ -x "$NGINX" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light > /dev/null
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts one `serve` over store $1; appends its pid to REPLICA_PIDS and its address to REPLICA_ADDRS.
start_replica() {
  local out
  out=$(mktemp -p "$WORK" serve.XXXX)
  "$BIN" serve --listen 127.0.0.1:0 --store "$1" > "$out" 2> /dev/null &
  REPLICA_PIDS+=("$!")
  for _ in $(seq 100); do
    local url
    url=$(grep -o 'http://[0-9.:]*' "$out" 2> /dev/null || true)
    if [ -n "$url" ]; then REPLICA_ADDRS+=("${url#http://}"); return 0; fi
    sleep 0.1
  done
  echo "serve did not start over $1" >&2; exit 1
}

stop_replicas() {
  for pid in "${REPLICA_PIDS[@]}"; do kill "$pid" 2> /dev/null || true; wait "$pid" 2> /dev/null || true; done
  REPLICA_PIDS=(); REPLICA_ADDRS=()
}

# Starts nginx on a temp config: serving $NGINX_DIR/www/products.json on every path, or, with
# addresses as arguments, proxying to them (kept-alive upstream connections). Sets NGINX_URL.
start_nginx() {
  local port body
  port=$(free_port)
  if [ $# -eq 0 ]; then
    body="root $NGINX_DIR/www; location / { try_files /products.json =404; }"
  else
    body="location / { proxy_pass http://replicas; proxy_http_version 1.1; proxy_set_header Connection \"\"; }"
  fi
  {
    echo "worker_processes 2; pid $NGINX_DIR/nginx.pid; error_log $NGINX_DIR/error.log;"
    echo "events { worker_connections 1024; }"
    echo "http { access_log off; default_type application/json;"
    for temp in client_body proxy fastcgi uwsgi scgi; do echo "  ${temp}_temp_path $NGINX_DIR/tmp;"; done
    if [ $# -gt 0 ]; then
      echo "  upstream replicas { $(printf 'server %s; ' "$@") keepalive 64; }"
    fi
    echo "  server { listen 127.0.0.1:$port; $body } }"
  } > "$NGINX_DIR/nginx.conf"
  "$NGINX" -c "$NGINX_DIR/nginx.conf" -p "$NGINX_DIR"
  NGINX_URL="http://127.0.0.1:$port"
  for _ in $(seq 50); do curl -sf -o /dev/null "$NGINX_URL$LIST_PATH" && return 0; sleep 0.1; done
  echo "nginx did not start" >&2; exit 1
}

stop_nginx() {
  [ -f "$NGINX_DIR/nginx.pid" ] && kill "$(cat "$NGINX_DIR/nginx.pid")" 2> /dev/null || true
  for _ in $(seq 50); do [ -f "$NGINX_DIR/nginx.pid" ] || return 0; sleep 0.1; done
}

# Peak resident memory of the processes named, summed, in MiB (nginx: master and workers).
peak_rss() {
  local total=0
  for pid in "$@"; do
    total=$((total + $(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2> /dev/null || echo 0)))
  done
  awk -v k="$total" 'BEGIN { printf "%.1f MiB", k / 1024 }'
}

# One row: wrk against $2, peak RSS of the pids that follow.
wrk_row() {
  local name=$1 url=$2; shift 2
  echo "-- $name: $url" >> "$OUT/wrk-static.txt"
  wrk -t2 -c64 -d"${STATIC_SECONDS}s" --latency "$url" > "$WORK/wrk.txt"
  cat "$WORK/wrk.txt" >> "$OUT/wrk-static.txt"
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {printf "%d", $2}' "$WORK/wrk.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$WORK/wrk.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk.txt")
  errors=$(grep -E 'Non-2xx|Socket errors' "$WORK/wrk.txt" | tr -s ' ' | paste -sd ';' || true)
  echo "| $name | $rps | $p50 | $p99 | $(peak_rss "$@") | ${errors:-none} |" | tee -a "$OUT/static-table.md"
}

# The rows of one store: one replica straight, then three behind nginx.
store_rows() {
  local label=$1 store=$2
  start_replica "$store"
  wrk_row "$label, one replica" "http://${REPLICA_ADDRS[0]}$LIST_PATH" "${REPLICA_PIDS[@]}"
  start_replica "$store"
  start_replica "$store"
  start_nginx "${REPLICA_ADDRS[@]}"
  # The RSS is the three replicas' (nginx's own is in the static row).
  wrk_row "$label, three replicas behind nginx" "$NGINX_URL$LIST_PATH" "${REPLICA_PIDS[@]}"
  stop_nginx
  stop_replicas
}

static_table() {
  need_nginx
  REPLICA_PIDS=(); REPLICA_ADDRS=()
  # nginx's workers run as nobody: their folder must be readable by everyone.
  NGINX_DIR=$(mktemp -d /tmp/commerce-bench-nginx.XXXX)
  trap 'stop_nginx; rm -rf "$NGINX_DIR"; kill $(jobs -p) 2> /dev/null || true; rm -rf "$WORK"' EXIT
  chmod 755 "$NGINX_DIR"; mkdir -p "$NGINX_DIR/www" "$NGINX_DIR/tmp"
  : > "$OUT/wrk-static.txt"
  {
    echo "measured $(date -u +%Y-%m-%dT%H:%MZ), wrk -t2 -c64 -d${STATIC_SECONDS}s, GET $LIST_PATH"
    echo
    echo "| server | requests/s | p50 | p99 | peak RSS | errors |"
    echo "|---|---|---|---|---|---|"
  } > "$OUT/static-table.md"
  start_replica "$WORK/static.db"
  curl -sf "http://${REPLICA_ADDRS[0]}$LIST_PATH" > "$NGINX_DIR/www/products.json"
  stop_replicas
  start_nginx
  wrk_row "nginx $("$NGINX" -v 2>&1 | cut -d/ -f2), static file ($(stat -c %s "$NGINX_DIR/www/products.json") bytes)" \
    "$NGINX_URL$LIST_PATH" "$(cat "$NGINX_DIR/nginx.pid")" $(pgrep -P "$(cat "$NGINX_DIR/nginx.pid")")
  stop_nginx
  store_rows "SQLite" "$WORK/static.db"
  if [ -n "${BENCH_POSTGRES:-}" ]; then store_rows "PostgreSQL" "$BENCH_POSTGRES"; fi
  rm -rf "$NGINX_DIR"
}
