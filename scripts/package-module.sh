#!/usr/bin/env bash
# Builds a PowerShell Gallery-ready CommercePolicy module folder with the release binary inside:
#
#   <out>/CommercePolicy/CommercePolicy.psd1, CommercePolicy.psm1, CommercePolicy.Commands.psd1,
#                        CommercePolicy.Format.ps1xml, Public/*.ps1 (one cmdlet each),
#                        Private/*.ps1, LICENSE (when the repository has one),
#                        bin/<os>-<arch>/commerce-policy[.exe]   (os: win, linux, osx; arch: x64, arm64)
#
# The module finds the binary for the machine it runs on in bin/<os>-<arch>/ (see
# module/CommercePolicy/Private/Find-CommercePolicyBinary.ps1). Every file that the manifest's
# FileList names must be in the package: a file left out would be a cmdlet or helper missing.
#
# Usage: scripts/package-module.sh [--out DIR] [--target TRIPLE]... [--binary OS-ARCH=PATH]...
#   --out DIR            where to put the CommercePolicy folder (default: target/module, or
#                        $CARGO_TARGET_DIR/module; release binaries are looked for there too)
#   --target TRIPLE      build the release binary for this Rust target (repeatable; the target's
#                        toolchain must be installed); without --target and --binary: this machine
#   --binary OS-ARCH=P   add a binary built elsewhere, e.g. --binary win-x64=commerce-policy.exe
#                        from a Windows CI job (repeatable)
#
# Then, from PowerShell:  Publish-Module -Path target/module/CommercePolicy -NuGetApiKey $key
# or install it locally:   copy target/module/CommercePolicy into a folder of $env:PSModulePath.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Cargo builds into CARGO_TARGET_DIR when it is set (relative to where cargo runs: here).
target_dir="${CARGO_TARGET_DIR:-$root/target}"
case "$target_dir" in /*) ;; *) target_dir="$PWD/$target_dir" ;; esac
out="$target_dir/module"
targets=()
binaries=()

while [ $# -gt 0 ]; do
    case "$1" in
        --out) out="$2"; shift 2 ;;
        --target) targets+=("$2"); shift 2 ;;
        --binary) binaries+=("$2"); shift 2 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "package-module: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

# The <os>-<arch> folder name for a Rust target triple.
platform_of() {
    local os arch
    case "$1" in
        *-windows-*) os=win ;;
        *-apple-darwin) os=osx ;;
        *-linux-*) os=linux ;;
        *) echo "package-module: no module platform for target $1" >&2; return 1 ;;
    esac
    case "$1" in
        x86_64-*) arch=x64 ;;
        aarch64-*) arch=arm64 ;;
        *) echo "package-module: no module platform for target $1" >&2; return 1 ;;
    esac
    echo "$os-$arch"
}

# The manifest's ModuleVersion must be the workspace's version.
workspace_version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' "$root/Cargo.toml")"
module_version="$(sed -n "s/^ *ModuleVersion *= *'\(.*\)'/\1/p" "$root/module/CommercePolicy/CommercePolicy.psd1")"
if [ "$workspace_version" != "$module_version" ]; then
    echo "package-module: CommercePolicy.psd1 has ModuleVersion $module_version, Cargo.toml has $workspace_version" >&2
    exit 1
fi

if [ ${#targets[@]} -eq 0 ] && [ ${#binaries[@]} -eq 0 ]; then
    targets+=("$(rustc -vV | sed -n 's/^host: //p')")
fi

module="$out/CommercePolicy"
rm -rf "$module"
# A failure leaves no module behind: a folder without bin/ would look ready and fail at import.
trap 'status=$?; if [ $status -ne 0 ]; then rm -rf "$module"; echo "package-module: failed; no module written" >&2; fi' EXIT
mkdir -p "$module"
cp -R "$root/module/CommercePolicy/." "$module/"
# The files the manifest lists, one per line (the lines between 'FileList = @(' and ')').
listed="$(awk '/^ *FileList *= *@\(/ { on = 1; next } on && /^ *\)/ { exit } on { gsub(/[ \047,]/, ""); if (length($0)) print }' "$module/CommercePolicy.psd1")"
if [ -z "$listed" ]; then
    echo "package-module: CommercePolicy.psd1 has no FileList" >&2
    exit 1
fi
while IFS= read -r file; do
    if [ ! -f "$module/$file" ]; then
        echo "package-module: $file is in the manifest's FileList but not in module/CommercePolicy" >&2
        exit 1
    fi
done <<< "$listed"
for file in $(cd "$module" && find . -type f | sed 's|^\./||'); do
    if ! grep -qxF "$file" <<< "$listed"; then
        echo "package-module: module/CommercePolicy/$file is not in the manifest's FileList" >&2
        exit 1
    fi
done
for license in "$root"/LICENSE*; do
    [ -f "$license" ] && cp "$license" "$module/"
done

add_binary() { # platform, path
    local name=commerce-policy
    case "$1" in win-*) name=commerce-policy.exe ;; esac
    if [ ! -f "$2" ]; then
        echo "package-module: no binary for $1 at $2 (build it first, or pass --binary $1=PATH; CARGO_TARGET_DIR is ${CARGO_TARGET_DIR:-unset})" >&2
        exit 1
    fi
    mkdir -p "$module/bin/$1"
    cp "$2" "$module/bin/$1/$name"
    chmod 755 "$module/bin/$1/$name"
    echo "package-module: bin/$1/$name"
}

for target in ${targets[@]+"${targets[@]}"}; do
    platform="$(platform_of "$target")"
    cargo build --release --manifest-path "$root/Cargo.toml" -p commerce-cli --bin commerce-policy --target "$target"
    suffix=""
    case "$platform" in win-*) suffix=".exe" ;; esac
    add_binary "$platform" "$target_dir/$target/release/commerce-policy$suffix"
done

for binary in ${binaries[@]+"${binaries[@]}"}; do
    add_binary "${binary%%=*}" "${binary#*=}"
done

if ! ls "$module"/LICENSE* >/dev/null 2>&1; then
    echo "package-module: warning: the repository has no LICENSE file; the manifest's LicenseUri points to one" >&2
fi
echo "package-module: $module (CommercePolicy $module_version) is ready: Publish-Module -Path $module"
