#!/usr/bin/env bash
# Three replicas of tableau-mcp behind a round-robin proxy without affinity,
# signing in to `tableau-mcp emulator` with its connected app as each caller:
# the official TypeScript client connects, calls tools and confirms a delete
# ten times; then the sign-ins each replica made are read from /metrics.
# Needs Node.js and npm; not part of `go test ./...`.
#   scripts/replicas.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/tableau-mcp" "$root/cmd/tableau-mcp"
cp "$root/scripts/interop/"*.mjs "$root/scripts/interop/package.json" "$work/"
(cd "$work" && npm install --silent --no-audit --no-fund >/dev/null)

"$work/tableau-mcp" emulator --listen 127.0.0.1:18090 > "$work/emulator.out" &
for _ in $(seq 50); do grep -q TABLEAU_JWT_SUB "$work/emulator.out" 2>/dev/null && break; sleep 0.1; done
setting() { sed -n "s/^ *$1=//p" "$work/emulator.out" | head -1; }
token="replicas-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf 'admin@example.com %s\n' "$token" > "$work/tokens"
secret="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
peers="127.0.0.1:18081,127.0.0.1:18082,127.0.0.1:18083"
for i in 1 2 3; do
  TABLEAU_SERVER_URL="$(setting TABLEAU_SERVER_URL)" TABLEAU_SITE="$(setting TABLEAU_SITE)" \
  TABLEAU_CONNECTED_APP_CLIENT_ID="$(setting TABLEAU_CONNECTED_APP_CLIENT_ID)" \
  TABLEAU_CONNECTED_APP_SECRET_ID="$(setting TABLEAU_CONNECTED_APP_SECRET_ID)" \
  TABLEAU_CONNECTED_APP_SECRET_VALUE="$(setting TABLEAU_CONNECTED_APP_SECRET_VALUE)" \
  TABLEAU_JWT_SUB='{identity}' TABLEAU_MCP_SESSION_SECRET="$secret" \
    "$work/tableau-mcp" --transport http --listen "127.0.0.1:1808$i" --auth-file "$work/tokens" \
      --toolsets all --peers "$peers" 2>"$work/replica$i.log" &
done
for i in 1 2 3; do
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:1808$i/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
done
node "$work/proxy.mjs" 18080 127.0.0.1:18081 127.0.0.1:18082 127.0.0.1:18083 &
sleep 0.5
node "$work/replicas.mjs" http://127.0.0.1:18080 "$token" 10
for i in 1 2 3; do
  echo "replica $i sign-ins: $(curl -fs "http://127.0.0.1:1808$i/metrics" | sed -n 's/^tableau_mcp_upstream_sign_ins_total //p')"
done
