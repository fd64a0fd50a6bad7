#!/usr/bin/env bash
# Side-by-side benchmark of tableau-mcp and a bare mcp-go server with the
# same number of trivial tools (bench/bare). Prints one table; with
# --doc it also rewrites the latest-run section of docs/benchmarks.md.
#   scripts/bench.sh [-runs 40] [-calls 300] [-duration 3s] [-download-mb 512]
#   scripts/bench.sh --doc          (same, and record the table in docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
for a in "$@"; do
  if [[ "$a" == "--doc" ]]; then args+=(-doc docs/benchmarks.md); else args+=("$a"); fi
done
exec go run ./bench "${args[@]}"
