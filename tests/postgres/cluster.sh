#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback for the tests: installs Debian's `postgresql` if
# missing, then initdb + pg_ctl in a temp folder (no system service), as the `postgres` user
# when run as root (initdb refuses root). Source it: it exports COMMERCE_POLICY_TEST_POSTGRES
# (the database URL), COMMERCE_POLICY_TEST_PG_CTL (a command line that restarts or stops the
# cluster: `$COMMERCE_POLICY_TEST_PG_CTL restart`) and COMMERCE_POLICY_TEST_PG_DIR (its folder).
#   source tests/postgres/cluster.sh start    # start one, export its URL
#   bash tests/postgres/cluster.sh print       # start one, print "URL DIR"
#   bash tests/postgres/cluster.sh ctl DIR restart
#   bash tests/postgres/cluster.sh stop DIR    # stop the one in DIR and remove it
set -euo pipefail

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$dir" ]; then
    if [ "$(id -u)" = 0 ]; then apt_get=(apt-get); else apt_get=(sudo apt-get); fi
    "${apt_get[@]}" install -y -q --no-install-recommends postgresql >/dev/null 2>&1 ||
      { "${apt_get[@]}" update -q >/dev/null && "${apt_get[@]}" install -y -q --no-install-recommends postgresql >/dev/null; }
    dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$dir"
}

# Runs a PostgreSQL tool as the cluster's owner.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start() {
  local bin dir port
  bin=$(pg_bin)
  dir=$(mktemp -d /tmp/commerce-pg.XXXXXX)
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  port=$(free_port)
  as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; return 1; }
  local opts="-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
  echo "$opts" >"$dir/options"
  as_owner "$bin/pg_ctl" -D "$dir/data" -o "$opts" -l "$dir/server.log" -w start >/dev/null
  as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres commerce
  export COMMERCE_POLICY_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/commerce"
  export COMMERCE_POLICY_TEST_PG_CTL="bash $(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/cluster.sh ctl $dir"
  export COMMERCE_POLICY_TEST_PG_DIR="$dir"
}

# ctl DIR restart|stop|start: the cluster in DIR, with the options it was started with.
ctl() {
  local dir=$1 action=$2 bin
  bin=$(pg_bin)
  as_owner "$bin/pg_ctl" -D "$dir/data" -o "$(cat "$dir/options")" -l "$dir/server.log" -m fast -w "$action" >/dev/null
}

case "${1:-start}" in
  start) start ;;
  # For a test's private cluster: prints "URL DIR".
  print) start && echo "$COMMERCE_POLICY_TEST_POSTGRES $COMMERCE_POLICY_TEST_PG_DIR" ;;
  ctl) ctl "$2" "$3" ;;
  stop) ctl "$2" stop || true; rm -rf "$2" ;;
  *) echo "usage: cluster.sh start | print | ctl DIR restart|start|stop | stop DIR" >&2; exit 2 ;;
esac
