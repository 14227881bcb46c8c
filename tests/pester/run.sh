#!/usr/bin/env bash
# Runs the Pester 5 suite of the CommercePolicy module when PowerShell 7 (pwsh) is on PATH;
# otherwise says so in one line and succeeds, since PowerShell cannot be installed everywhere
# (the Rust contract tests in tests/tests/e2e/module_*.rs check the module there).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if ! command -v pwsh >/dev/null 2>&1; then
    echo "pwsh not found: skipping the Pester suite"
    exit 0
fi

cargo build --quiet --manifest-path "$root/Cargo.toml" -p commerce-cli --bin commerce-policy
# Cargo builds into CARGO_TARGET_DIR when it is set.
target_dir="${CARGO_TARGET_DIR:-$root/target}"
case "$target_dir" in /*) ;; *) target_dir="$PWD/$target_dir" ;; esac
export COMMERCE_POLICY_BIN="${COMMERCE_POLICY_BIN:-$target_dir/debug/commerce-policy}"
# pwsh -Command takes everything after it as script text, so the path goes in the environment.
# Every *.Tests.ps1 of this folder runs.
export COMMERCE_POLICY_PESTER_SUITE="$here"

exec pwsh -NoProfile -NonInteractive -Command '
    $ErrorActionPreference = "Stop"
    if (-not (Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version -ge [version] "5.2.0" })) {
        Install-Module -Name Pester -MinimumVersion 5.2.0 -Scope CurrentUser -Force -SkipPublisherCheck
    }
    Import-Module Pester -MinimumVersion 5.2.0
    $configuration = New-PesterConfiguration
    $configuration.Run.Path = $env:COMMERCE_POLICY_PESTER_SUITE
    $configuration.Run.Exit = $true
    $configuration.Output.Verbosity = "Detailed"
    Invoke-Pester -Configuration $configuration
'
