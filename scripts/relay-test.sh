#!/usr/bin/env bash
# Runs the relay's host tests with both backends: starts redis-server on a free loopback port,
# runs `cargo test -p agentbar-relay` (and the simulator's push-mode test) with REDIS_URL set,
# then the bridge's shared-store tests (two bridges on one Redis; the Redis store answering as
# the in-memory one), stops redis. Usage: scripts/relay-test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/relay-redis.sh
# Uses $CARGO_TARGET_DIR when set (the relay work uses /work/target-relay).
trap relay_stop_redis EXIT
relay_start_redis
echo "relay-test: redis at $REDIS_URL"
cargo test -p agentbar-relay "$@"
cargo test -p agentbar-sim --test push "$@"
cargo test -p agentbar-bridge "$@" -- redis_throttle_epochs_and_seen_ids two_instances_on_one_redis
