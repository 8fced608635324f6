#!/usr/bin/env bash
# `make run`: migrate, seed (once) a sandbox demo account, start the worker and the API.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export IVALID_DATA_DIR="${IVALID_DATA_DIR:-$PWD/instance}"
HOST="${IVALID_HOST:-127.0.0.1}"
PORT="${IVALID_PORT:-8000}"
export IVALID_PUBLIC_URL="${IVALID_PUBLIC_URL:-http://$HOST:$PORT}"
mkdir -p "$IVALID_DATA_DIR"

"$BIN/ivalid" db upgrade
DEMO="$IVALID_DATA_DIR/demo-credentials.json"
if [ ! -s "$DEMO" ]; then
  # Sandbox credentials of the local demo account, kept so that every `make run` shows them.
  "$BIN/ivalid" demo --json > "$DEMO.tmp" && mv "$DEMO.tmp" "$DEMO"
  chmod 600 "$DEMO"
fi

"$BIN/ivalid" worker > "$IVALID_DATA_DIR/worker.log" 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT INT TERM

"$BIN/python" - "$DEMO" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
base = os.environ["IVALID_PUBLIC_URL"]
print(f"""
iValid Hub is starting on {base}  (worker log: {os.environ['IVALID_DATA_DIR']}/worker.log)

Sandbox demo account {d['account_id']}
  client_id:     {d['client_id']}
  client_secret: {d['client_secret']}
  api_key:       {d['api_key']}

Get a token (OAuth 2.0 client credentials):
  curl -s -X POST {base}/oauth/token -H 'Content-Type: application/json' \\
    -d '{{"grant_type":"client_credentials","client_id":"{d['client_id']}","client_secret":"{d['client_secret']}","scope":"appointments:read appointments:write customers:read"}}'

Try it:
  curl -s {base}/v2/appointments -H 'Authorization: Bearer {d['api_key']}' -H 'Content-Type: application/json'

API docs: {base}/docs   OpenAPI: {base}/v2/openapi.json   Stop: Ctrl+C
""", flush=True)
PY

"$BIN/ivalid" serve --host "$HOST" --port "$PORT"
