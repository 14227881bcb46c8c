#!/usr/bin/env bash
# Property-based API tests: schemathesis generates requests from the service's own
# /openapi.json and checks every answer against it (no 5xx, documented statuses, content
# types, response schemas), then walks stateful scenarios through the API's links.
# The seed is fixed so a run is repeatable; change it to explore.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/target/schemathesis-venv"

if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
fi

cargo build --quiet --manifest-path "$root/Cargo.toml" -p commerce-cli --bin commerce-policy
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
"$root/target/debug/commerce-policy" serve --listen 127.0.0.1:0 --store "$work/store.db" > "$work/serve.out" 2>/dev/null &
pid=$!
for _ in $(seq 100); do
    url=$(grep -o 'http://[0-9.:]*' "$work/serve.out" 2>/dev/null || true)
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { echo "serve did not start"; exit 1; }

# positive_data_acceptance is left out: a schema-valid If-Match with a stale ETag is rightly
# answered 412, which that check counts as a rejection. ensure_resource_availability too: an
# assign that names users not in the directory is rightly a 404 (naming them), which that
# check takes for the subscription just created being missing.
"$venv/bin/schemathesis" run "$url/openapi.json" --url "$url" \
    --seed 20261125 --max-examples 60 --exclude-checks positive_data_acceptance,ensure_resource_availability --no-color
