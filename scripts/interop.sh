#!/usr/bin/env bash
# Checks tableau-mcp with another MCP implementation, the official TypeScript
# client, on stdio, streamable HTTP and SSE (demo site, every tool). Needs
# Node.js and npm; not part of `go test ./...`.
#   scripts/interop.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/tableau-mcp" "$root/cmd/tableau-mcp"
cp "$root/scripts/interop/check.mjs" "$root/scripts/interop/package.json" "$work/"
(cd "$work" && npm install --silent --no-audit --no-fund >/dev/null)
token="interop-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf 'interop %s\n' "$token" > "$work/tokens"

node "$work/check.mjs" "$work/tableau-mcp" stdio
for tr in http sse; do
  "$work/tableau-mcp" --transport "$tr" --listen 127.0.0.1:18080 --auth-file "$work/tokens" --toolsets all 2>"$work/$tr.log" &
  pid=$!
  for _ in $(seq 50); do curl -fs http://127.0.0.1:18080/healthz >/dev/null 2>&1 && break; sleep 0.1; done
  TOKEN="$token" node "$work/check.mjs" "$work/tableau-mcp" "$tr" http://127.0.0.1:18080
  kill -TERM "$pid"; wait "$pid"
done
echo "interop: all transports passed"
