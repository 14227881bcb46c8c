#!/usr/bin/env bash
# The Graph measurement of docs/performance.md ("Reading a tenant through Microsoft Graph"):
# `subscriptions list --self-service` of 1,000 self-service subscriptions against the
# Graph-shaped stand-in of the tests (tests/src/graph.rs), every answer 50 ms late — calls
# made and wall time — against reading each purchaser with a call of its own.
# Needs: node (tests/oidc issues the tokens). Usage: bench/graph.sh   (not run in CI)
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --prefix tests/oidc --no-audit --no-fund --silent
cargo test -q -p commerce-e2e --test e2e graph_bench -- --ignored --nocapture --test-threads 1 2>&1 \
  | grep -E '^(ours|one call)'
