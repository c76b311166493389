#!/usr/bin/env bash
# Starts the built binary on the embedded default with the sandbox, test
# payments and demo eSIMs, then runs the browser test of the SPA against it.
set -euo pipefail
cd "$(dirname "$0")/../.."

binary=${ESIMSCAN_BINARY:-bin/esimscan}
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ESIMSCAN_ADDR="127.0.0.1:${port}" ESIMSCAN_DATA_DIR="$data" ESIMSCAN_SANDBOX=1 ESIMSCAN_TEST_PAYMENTS=1 \
  ESIM_PROVISIONING_DRIVER=stub REDIS_URL= EVENTSTORE_URL= APP_KEY= \
  "$binary" serve >"$data/serve.log" 2>&1 &
server_pid=$!
cleanup() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

for _ in $(seq 1 300); do
  if curl -fsS "http://127.0.0.1:${port}/api/ready" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then cat "$data/serve.log" >&2; exit 1; fi
  sleep 0.1
done

export ESIMSCAN_E2E_URL="http://127.0.0.1:${port}"
if ! npm run test:e2e; then
  echo "--- server log (last 80 lines) ---" >&2
  tail -n 80 "$data/serve.log" >&2
  exit 1
fi
