# Sourced by scripts/relay-*.sh: starts a throwaway redis-server on a free loopback port
# (never as a system service, no persistence) and stops it when the script exits.
# Sets REDIS_URL and RELAY_REDIS_PID.

relay_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

relay_start_redis() {
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "redis-server not found: installing Debian's redis-server" >&2
    if [ "$(id -u)" = 0 ]; then apt-get install -y redis-server >/dev/null || { apt-get update >/dev/null && apt-get install -y redis-server >/dev/null; }
    else sudo apt-get install -y redis-server >/dev/null; fi
    # The package starts a system service where systemd runs; we use our own instance only.
  fi
  local port
  port=$(relay_free_port)
  RELAY_REDIS_DIR=$(mktemp -d)
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize no \
    --dir "$RELAY_REDIS_DIR" --maxclients 20000 --loglevel warning >"$RELAY_REDIS_DIR/log" 2>&1 &
  RELAY_REDIS_PID=$!
  export REDIS_URL="redis://127.0.0.1:$port/"
  for _ in $(seq 1 50); do
    if redis-cli -p "$port" ping >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "redis-server did not start:" >&2; cat "$RELAY_REDIS_DIR/log" >&2
  return 1
}

relay_stop_redis() {
  if [ -n "${RELAY_REDIS_PID:-}" ]; then
    kill "$RELAY_REDIS_PID" 2>/dev/null || true
    wait "$RELAY_REDIS_PID" 2>/dev/null || true
    RELAY_REDIS_PID=
  fi
  [ -n "${RELAY_REDIS_DIR:-}" ] && rm -rf "$RELAY_REDIS_DIR"
  return 0
}
