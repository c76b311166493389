#!/usr/bin/env bash
# Runs every test of esimScan: Go unit and contract tests against the
# in-process Redis and a real redis-server, the SPA's unit tests, the
# black-box acceptance test of the built binary, and the browser test.
# Installs redis-server and Chromium from the distribution's packages when
# they are missing and this runs as root.
set -euo pipefail
cd "$(dirname "$0")/../.."

need_packages=()
command -v redis-server >/dev/null 2>&1 || need_packages+=(redis-server)
command -v chromium >/dev/null 2>&1 || need_packages+=(chromium)
if [ ${#need_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${need_packages[*]} for the tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_packages[@]}" >/dev/null
  else
    echo "missing ${need_packages[*]}: install them (Debian: apt-get install ${need_packages[*]}) and run again" >&2
    exit 1
  fi
fi

work=$(mktemp -d)
redis_pid=""
cleanup() {
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# A private redis-server on a free loopback port, so tests never touch a
# Redis the machine already runs.
redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 16379)
redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
  --maxmemory-policy noeviction --databases 64 --dir "$work" --daemonize no >"$work/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 1 100); do
  if redis-cli -p "$redis_port" ping >/dev/null 2>&1; then break; fi
  sleep 0.1
done
export REDIS_TEST_URL="redis://127.0.0.1:${redis_port}/0"
echo "real Redis for tests: $REDIS_TEST_URL"

make build
export ESIMSCAN_BINARY="$PWD/bin/esimscan"
export CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium)}"

make test-go
make test-frontend
deploy/test/e2e.sh
