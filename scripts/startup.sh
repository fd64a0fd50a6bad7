#!/usr/bin/env bash
# Measures how fast a fresh tableau-mcp process answers MCP initialize over
# stdio, and its peak memory, as a desktop client launching it would see.
#   scripts/startup.sh [runs]      (default 20 runs, demo backend)
set -euo pipefail
runs="${1:-20}"
bin="$(mktemp -d)/tableau-mcp"
go build -o "$bin" ./cmd/tableau-mcp
init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"startup","version":"1"}}}'
for _ in $(seq "$runs"); do
  start=$(date +%s%N)
  rss=$( { echo "$init" | /usr/bin/time -f '%M' "$bin" --log-level error >/dev/null; } 2>&1 | tail -1)
  end=$(date +%s%N)
  echo "$(( (end - start) / 1000 )) $rss"
done | sort -n | awk -v n="$runs" '
  { t[NR] = $1; if ($2 > m) m = $2 }
  END { printf "initialize answered: median %.1f ms, max %.1f ms over %d runs; peak RSS %.1f MB\n", t[int((n+1)/2)]/1000, t[n]/1000, n, m/1024 }'
rm -f "$bin"
