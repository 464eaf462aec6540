#!/usr/bin/env bash
# The relay's load test: Redis + the simulator + two agentbar-relay instances + relay-load
# (2,000 agents on SSE, calls at a steady rate, one relay killed mid-run). Loopback only,
# bounded (stops by itself in about 2 minutes after the build), every process it starts is
# stopped on exit. Prints a summary block for the README.
# Usage: scripts/relay-load.sh [--agents N] [--rate CALLS_PER_S] [--duration S] [--kill-at S]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/relay-redis.sh

AGENTS=2000 RATE=40 DURATION=60 KILL_AT=30
while [ $# -gt 0 ]; do
  case "$1" in
    --agents) AGENTS=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --kill-at) KILL_AT=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

# Every stream is a socket at both ends, plus Redis and the callbacks.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
ulimit -n 65536 2>/dev/null || true
echo "relay-load: open files limit $(ulimit -n)"

# An optimised build without the wasm-sized release profile (opt-level z, fat LTO).
export CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
cargo build --release -q -p agentbar-relay -p agentbar-sim
BIN="${CARGO_TARGET_DIR:-target}/release"

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  relay_stop_redis
  rm -rf "$WORK"
}
trap cleanup EXIT
relay_start_redis

python3 - "$AGENTS" >"$WORK/sim.json" <<'PY'
import json, sys
n = int(sys.argv[1])
agents = [{"workno": str(1001 + i), "password": "agent123", "phone": "7%d" % (1001 + i),
           "name": "Load %d" % i, "skills": [1]} for i in range(n)]
print(json.dumps({"agents": agents, "knobs": {"demoAgent": "1001"}}))
PY

SIM_PORT=$(relay_free_port); A_PORT=$(relay_free_port); B_PORT=$(relay_free_port); LB_PORT=$(relay_free_port)
"$BIN/agentbar-sim" --port "$SIM_PORT" --config "$WORK/sim.json" >"$WORK/sim.log" 2>&1 &
PIDS+=($!)
for name in A B; do
  port=$A_PORT; [ "$name" = B ] && port=$B_PORT
  "$BIN/agentbar-relay" --demo --stamp --instance "$name" --listen "127.0.0.1:$port" --redis "$REDIS_URL" \
    --gateway "http://127.0.0.1:$SIM_PORT/agentgateway/resource" --public-url "http://127.0.0.1:$LB_PORT" \
    >"$WORK/relay-$name.log" 2>&1 &
  PIDS+=($!)
  [ "$name" = A ] && A_PID=$! || B_PID=$!
done
for port in "$SIM_PORT" "$A_PORT" "$B_PORT"; do
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.1
  done
done
echo "relay-load: redis $REDIS_URL, simulator :$SIM_PORT, relay A :$A_PORT (pid $A_PID), relay B :$B_PORT (pid $B_PID), callback LB :$LB_PORT"

set +e
timeout 170 "$BIN/relay-load" --sim "http://127.0.0.1:$SIM_PORT" \
  --relays "http://127.0.0.1:$A_PORT,http://127.0.0.1:$B_PORT" --pids "$A_PID,$B_PID" --lb-port "$LB_PORT" \
  --agents "$AGENTS" --rate "$RATE" --duration "$DURATION" --kill-at "$KILL_AT"
rc=$?
set -e
if [ $rc -ne 0 ]; then
  echo "relay-load: exit $rc; last lines of the logs:" >&2
  tail -n 5 "$WORK"/*.log >&2 || true
fi
exit $rc
