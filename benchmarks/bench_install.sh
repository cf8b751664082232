#!/usr/bin/env bash
# `make install` from a clean clone (target < 4 minutes): clone the *committed* state of the
# repository into a temporary folder, run `make install` there and time it.
#
# Usage: benchmarks/bench_install.sh [REPO]   (default: the repository holding this script)
# Prints one JSON object on stdout (the last line); progress and the install log tail on stderr.
# Uses whatever pip indexes, wheel folders and caches the machine is configured with.
set -euo pipefail

src=${1:-$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)}
work=$(mktemp -d "${TMPDIR:-/tmp}/aegis-bench-install-XXXXXX")
trap 'rm -rf "$work"' EXIT

git clone -q "$src" "$work/repo"
commit=$(git -C "$work/repo" rev-parse --short HEAD)
echo "[bench_install] make install in a clone of $src at $commit ($work/repo)" >&2

start=$(date +%s.%N)
if ! /usr/bin/time -f '%M' -o "$work/maxrss" make -C "$work/repo" install >"$work/install.log" 2>&1
then
    tail -n 30 "$work/install.log" >&2
    echo "[bench_install] make install failed" >&2
    exit 1
fi
end=$(date +%s.%N)

help_start=$(date +%s.%N)
"$work/repo/.venv/bin/aegis" --help >/dev/null
help_end=$(date +%s.%N)
venv_mib=$(du -sm "$work/repo/.venv" | cut -f1)
packages=$("$work/repo/.venv/bin/python" -m pip list --format=freeze 2>/dev/null | wc -l)
maxrss_kib=$(tail -n 1 "$work/maxrss")

python3 - "$start" "$end" "$help_start" "$help_end" "$venv_mib" "$packages" "$maxrss_kib" \
    "$commit" <<'PY'
import json, sys
start, end, h0, h1, venv, packages, rss, commit = sys.argv[1:]
print(json.dumps({
    "commit": commit,
    "make_install_s": round(float(end) - float(start), 1),
    "aegis_help_s": round(float(h1) - float(h0), 3),
    "venv_mib": int(venv),
    "packages": int(packages),
    "max_rss_mib": round(int(rss) / 1024, 1),
}))
PY
