#!/usr/bin/env bash
# Measures orders placed and paid per second through the HTTP API, and the
# latency of placing an order, with wrk against a store it starts itself.
#
# Usage, from the repository root after
#   go build -o bin/esimscan ./backend/cmd/esimscan
# is:
#   deploy/bench/orders.sh [in-process|redis|both]    (default both)
#
# in-process: the embedded event store and the in-process Redis.
# redis:      the embedded event store and a redis-server started here, with
#             persistence off.
#
# Each run starts the eSIM Access simulator and `esimscan serve` (embedded
# store in a temporary directory, ESIMSCAN_TEST_PAYMENTS=1,
# ESIM_PROVISIONING_DRIVER=stub) on free 127.0.0.1 ports. It installs the
# store, signs in, then configures, tests, syncs and enables esim-access
# through the API. wrk places orders for BENCH_DURATION with place.lua, then
# pays them with pay.lua for at most BENCH_PAY_DURATION. Everything started
# here is stopped on exit.
#
# Environment (all optional):
#   ESIMSCAN_BIN        the binary, default bin/esimscan
#   BENCH_DURATION      place phase, wrk duration, default 20s
#   BENCH_PAY_DURATION  pay phase upper bound, default 30s
#   BENCH_CONNECTIONS   wrk connections, default 16
#   BENCH_THREADS       wrk threads, default 2
#   BENCH_LOG_DIR       a directory to copy each run's server log into
#   BENCH_PERF=1        record a CPU profile of the server with `perf record`
#                       during each phase and print its top functions
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${ESIMSCAN_BIN:-$root/bin/esimscan}
duration=${BENCH_DURATION:-20s}
pay_duration=${BENCH_PAY_DURATION:-30s}
connections=${BENCH_CONNECTIONS:-16}
threads=${BENCH_THREADS:-2}
mode=${1:-both}

case "$mode" in
in-process | redis | both) ;;
*)
	echo "usage: $0 [in-process|redis|both]" >&2
	exit 2
	;;
esac
for tool in wrk curl jq python3; do
	if ! command -v "$tool" >/dev/null; then
		echo "missing tool: $tool (Debian: apt-get install -y $tool)" >&2
		exit 1
	fi
done
if [[ ! -x "$bin" ]]; then
	echo "missing $bin: build it with go build -o bin/esimscan ./backend/cmd/esimscan" >&2
	exit 1
fi

work=$(mktemp -d)
pids=()

stop_started() {
	local pid
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	pids=()
}

cleanup() {
	stop_started
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

random_hex() {
	head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'
}

# wait_until DESCRIPTION SECONDS COMMAND... runs COMMAND every 0.2 s until it
# succeeds, and fails after SECONDS.
wait_until() {
	local description=$1 seconds=$2
	shift 2
	local deadline=$((SECONDS + seconds))
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS >= deadline)); then
			echo "timed out after ${seconds}s waiting for $description" >&2
			return 1
		fi
		sleep 0.2
	done
}

# api METHOD PATH [JSON] sends an admin request with the session cookie and
# the CSRF token, prints the response body and fails on a status of 400 or more.
api() {
	local method=$1 path=$2 body=${3:-}
	local args=(-sS --fail-with-body -X "$method" -b "$work/cookies" -c "$work/cookies"
		-H "X-CSRF-Token: ${csrf:-}")
	if [[ -n "$body" ]]; then
		args+=(-H "Content-Type: application/json" --data "$body")
	fi
	curl "${args[@]}" "$base$path"
}

prepare_store() {
	local admin_password access_code secret_key sync_id status
	admin_password=$(random_hex)
	access_code=$(random_hex)
	secret_key=$(random_hex)

	local simulator_addr="127.0.0.1:$(free_port)"
	ESIMSCAN_SIMULATOR_SECRET=$secret_key "$bin" simulator esim-access \
		--addr "$simulator_addr" --key "$access_code" >"$work/simulator.log" 2>&1 &
	pids+=($!)
	wait_until "the simulator" 20 curl -s -o /dev/null "http://$simulator_addr/"

	local serve_addr="127.0.0.1:$(free_port)"
	base="http://$serve_addr"
	mkdir -p "$work/data"
	ESIMSCAN_ADDR=$serve_addr ESIMSCAN_DATA_DIR="$work/data" ESIMSCAN_TEST_PAYMENTS=1 \
		ESIM_PROVISIONING_DRIVER=stub REDIS_URL=${redis_url:-} EVENTSTORE_URL= APP_KEY= \
		"$bin" serve >"$work/serve.log" 2>&1 &
	serve_pid=$!
	pids+=("$serve_pid")
	if ! wait_until "the store to become ready" 60 curl -sf "$base/api/ready"; then
		tail -n 20 "$work/serve.log" >&2
		return 1
	fi

	api POST /api/install "$(jq -nc --arg p "$admin_password" \
		'{store_name: "Benchmark eSIMs", admin_email: "owner@example.test", admin_password: $p}')" >/dev/null
	csrf=$(api POST /api/auth/login "$(jq -nc --arg p "$admin_password" \
		'{email: "owner@example.test", password: $p}')" | jq -r .csrf_token)
	api PUT /api/admin/providers/esim-access "$(jq -nc --arg url "http://$simulator_addr" \
		--arg code "$access_code" --arg secret "$secret_key" \
		'{base_url: $url, margin_percent: 25, sync_interval_minutes: 60,
		  credentials: {access_code: $code, secret_key: $secret}}')" >/dev/null
	if [[ $(api POST /api/admin/providers/esim-access/test | jq -r .ok) != true ]]; then
		echo "the provider test failed" >&2
		return 1
	fi
	sync_id=$(api POST /api/admin/providers/esim-access/sync | jq -r .sync_id)
	sync_status() {
		status=$(api GET "/api/admin/providers/esim-access/syncs/$sync_id" | jq -r .status)
		[[ "$status" != running ]]
	}
	wait_until "the catalog sync" 60 sync_status
	sync_status
	if [[ "$status" != completed ]]; then
		echo "the catalog sync ended $status" >&2
		return 1
	fi
	api POST /api/admin/providers/esim-access/enable >/dev/null
	package_ready() {
		package_id=$(curl -sf "$base/api/catalog/packages?country=JP" | jq -er '.[0].id')
	}
	wait_until "a JP package in the catalog" 30 package_ready
	package_ready
}

# start_profile records the server's CPU samples into $work/perf.data when
# BENCH_PERF=1, and print_profile stops the recording and prints the top
# functions, by self time and with their callees included.
start_profile() {
	perf_pid=
	if [[ "${BENCH_PERF:-}" == 1 ]]; then
		perf record -F 499 -g -p "$serve_pid" -o "$work/perf.data" >/dev/null 2>&1 &
		perf_pid=$!
	fi
}

print_profile() {
	local phase=$1
	if [[ -z "$perf_pid" ]]; then
		return
	fi
	kill -INT "$perf_pid" 2>/dev/null || true
	wait "$perf_pid" 2>/dev/null || true
	echo "--- server CPU profile of the $phase phase (perf, self time, top 25)"
	perf report -i "$work/perf.data" --no-children --sort symbol --stdio -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -n 25 || true
	echo "--- the same, callees included (top 25)"
	perf report -i "$work/perf.data" --children --sort symbol --stdio -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -n 25 || true
}

run() {
	local label=$1
	redis_url=
	echo "=== $label"
	if [[ "$label" == redis ]]; then
		local redis_port
		redis_port=$(free_port)
		mkdir -p "$work/redis"
		redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
			--dir "$work/redis" >"$work/redis.log" 2>&1 &
		pids+=($!)
		wait_until "redis-server" 20 redis-cli -p "$redis_port" ping
		redis_url="redis://127.0.0.1:$redis_port/0"
	fi
	prepare_store
	echo "package $package_id; load average $(cut -d' ' -f1-3 /proc/loadavg)"

	rm -f "$work/orders".*
	start_profile
	echo "--- place: wrk -t$threads -c$connections -d$duration --latency -s place.lua"
	wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$here/place.lua" "$base" \
		-- "$package_id" "$work/orders"
	print_profile place

	start_profile
	echo "--- pay: wrk -t$threads -c$connections -d$pay_duration -s pay.lua"
	wrk -t"$threads" -c"$connections" -d"$pay_duration" -s "$here/pay.lua" "$base" -- "$work/orders"
	print_profile pay
	echo "server log: $(grep -c '"level":"warn"' "$work/serve.log" || true) warnings," \
		"$(grep -c '"level":"error"' "$work/serve.log" || true) errors"
	if [[ -n "${BENCH_LOG_DIR:-}" ]]; then
		cp "$work/serve.log" "$BENCH_LOG_DIR/serve-$label.log"
	fi

	stop_started
	rm -rf "$work/data" "$work/redis" "$work/cookies"
}

if [[ "$mode" == in-process || "$mode" == both ]]; then
	run in-process
fi
if [[ "$mode" == redis || "$mode" == both ]]; then
	run redis
fi
