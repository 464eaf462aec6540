#!/usr/bin/env bash
# agentbar's one entry point. Every command first installs whatever is missing (idempotent,
# and quick when the tools are already there).
#
#   ./dev.sh demo    the simulator in demo mode + `trunk serve`; prints the URL to open
#                    (AGENTBAR_VENDOR=aliyun: Alibaba Cloud CCC through the signing bridge)
#   ./dev.sh test    every test: fmt, clippy (host + wasm32), cargo test, browser tests, e2e
#   ./dev.sh bench   benchmark figures (bundle size, latency, cold start, soak), fault and attack tables
#   ./dev.sh attacks the attack table alone (bridge and browser)
#   ./dev.sh screenshots  the toolbar in each state, into docs/
#   ./dev.sh setup   only install the tools
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD

TRUNK_VERSION=0.21.14
# Cuts dist/'s wasm at the engine's split point (scripts/build-dist.mjs).
WASM_SPLIT_VERSION=0.2.4
SIM_PORT=${AGENTBAR_SIM_PORT:-8043}
WEB_PORT=${AGENTBAR_WEB_PORT:-8080}
BRIDGE_PORT=${AGENTBAR_BRIDGE_PORT:-8044}
CRM_PORT=${AGENTBAR_CRM_PORT:-8090}
VENDOR=${AGENTBAR_VENDOR:-huawei}

export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}

log() { printf '\033[1m[agentbar]\033[0m %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi; }

# The wasm-bindgen version Cargo.lock resolved; Trunk, the CLI and the test runner must all match it.
locked_wasm_bindgen() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

setup() {
  command -v cargo >/dev/null || die "cargo is missing: install Rust with rustup first"
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
    log "installing trunk $TRUNK_VERSION (about 15 minutes on 2 cores, once)"
    cargo install "trunk@$TRUNK_VERSION" --locked
  fi
  [ -f Cargo.lock ] || cargo generate-lockfile
  local wbg pinned
  wbg=$(locked_wasm_bindgen)
  pinned=$(sed -n 's/^wasm_bindgen = "\(.*\)"/\1/p' Trunk.toml)
  [ "$wbg" = "$pinned" ] || die "Trunk.toml pins wasm-bindgen $pinned but Cargo.lock has $wbg: make them equal"
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wbg" ] ||
     [ "$(wasm-bindgen-test-runner --version 2>/dev/null)" != "wasm-bindgen-test-runner $wbg" ]; then
    log "installing wasm-bindgen-cli $wbg (about 5 minutes, once)"
    # Without --locked: the CLI's own lockfile pins a crate version the registry no longer serves.
    cargo install wasm-bindgen-cli --version "$wbg" --force
  fi
  # The CLI has no --version: cargo's own list of what it installed says which one is there.
  if ! cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
    log "installing wasm-split-cli $WASM_SPLIT_VERSION (about 2 minutes, once)"
    cargo install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary --locked --force
  fi
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    log "installing Chromium and ChromeDriver from Debian"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver
  fi
  if ! command -v npm >/dev/null; then
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm
  fi
  # npm ci only when the lockfile changed since the last install.
  local stamp=node_modules/.agentbar-lock
  if ! cmp -s package-lock.json "$stamp" 2>/dev/null; then
    log "installing the npm tools from package-lock.json (Playwright, binaryen)"
    npm ci --no-audit --no-fund
    cp package-lock.json "$stamp"
  fi
}

# The simulator and the CCC bridge (native binaries the demo and the end-to-end tests run).
build_servers() {
  cargo build -q -p agentbar-sim -p agentbar-bridge -p agentbar-relay --bin agentbar-sim --bin agentbar-bridge --bin agentbar-relay
  local target
  target="$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
  export SIM_BIN="$target/debug/agentbar-sim" BRIDGE_BIN="$target/debug/agentbar-bridge" RELAY_BIN="$target/debug/agentbar-relay"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

demo() {
  setup
  build_servers
  local pids=()
  trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT INT TERM
  for port in "$SIM_PORT" "$BRIDGE_PORT" "$CRM_PORT" "$WEB_PORT"; do
    port_busy "$port" && die "port $port is taken: stop what runs there (ports: AGENTBAR_SIM_PORT, AGENTBAR_BRIDGE_PORT, AGENTBAR_CRM_PORT, AGENTBAR_WEB_PORT; the proxies in Trunk.toml follow the defaults)"
  done
  "$SIM_BIN" --demo --port "$SIM_PORT" & pids+=($!)
  "$BRIDGE_BIN" --demo --port "$BRIDGE_PORT" --endpoint "http://127.0.0.1:$SIM_PORT" & pids+=($!)
  node scripts/serve-static.mjs examples/crm "$CRM_PORT" >/dev/null & pids+=($!)
  for _ in $(seq 50); do port_busy "$SIM_PORT" && port_busy "$BRIDGE_PORT" && break; sleep 0.1; done
  local url="http://127.0.0.1:$WEB_PORT/" who="agent 101, password agent123, phone 70001"
  if [ "$VENDOR" = aliyun ]; then
    url="http://127.0.0.1:$WEB_PORT/?vendor=aliyun"
    who="login name agent101, password agent123 (Alibaba Cloud CCC through the signing bridge)"
  fi
  log "simulator on :$SIM_PORT (a call rings agent 101 about every 30 s), CCC bridge on :$BRIDGE_PORT"
  log "open $url once trunk says it is serving; sign in as $who"
  log "the example CRM page embedding it: http://127.0.0.1:$CRM_PORT/?toolbar=$url"
  trunk serve --port "$WEB_PORT"
}

run_tests() {
  setup
  log "cargo fmt --check"
  cargo fmt --all -- --check
  log "clippy (host, whole workspace)"
  cargo clippy -q --workspace --all-targets -- -D warnings
  log "clippy (wasm32, the toolbar: both vendors, then each alone, and with the split, as dist/ ships it)"
  cargo clippy -q -p agentbar --target wasm32-unknown-unknown --all-targets -- -D warnings
  for features in huawei aliyun huawei,softphone aliyun,softphone huawei,split aliyun,split; do
    cargo clippy -q -p agentbar --target wasm32-unknown-unknown --lib --no-default-features --features "$features" -- -D warnings
  done
  log "host tests: core, protocol, simulator, bridge, SIP"
  cargo test --workspace --exclude agentbar-check --exclude agentbar-relay
  log "event relay and the bridge's shared store: host tests on Redis (a throwaway redis-server on loopback)"
  scripts/relay-test.sh
  log "fuzzing the decoders of both vendors (bounded: PROPTEST_CASES=${PROPTEST_CASES:=3000})"
  PROPTEST_CASES=$PROPTEST_CASES cargo test -q -p agentbar --test fuzz_decoders
  log "model-based test: the toolbar core against the simulator's gateway model (bounded: ${MODEL_CASES:=400} cases)"
  PROPTEST_CASES=$MODEL_CASES cargo test -q -p agentbar-check -- --nocapture
  log "embedding loader: the ES module is up to date, the types check (tsc --strict)"
  node loader/build.mjs --check
  npx tsc -p e2e/types
  log "browser tests: wasm-bindgen-test in headless Chromium"
  cargo test -p agentbar --target wasm32-unknown-unknown --test browser
  log "release build: one wasm per vendor and the browser phone's (trunk + wasm-opt), dist/ loads the deployment's"
  node scripts/build-dist.mjs
  build_servers
  log "voice rig: Kamailio + rtpengine + baresip from Debian (the browser phone's e2e uses it)"
  rig/install.sh
  log "end-to-end: Playwright against the simulator, the release build and the voice rig"
  (cd e2e && npx playwright test)
  log "voice rig self-test: the rig itself, two-way audio through Chromium"
  rig/selftest.sh --require-browser
}

case "${1:-}" in
  setup) setup ;;
  demo) demo ;;
  test) run_tests ;;
  bench) setup; build_servers; node scripts/build-dist.mjs; node scripts/bench.mjs; node scripts/faults.mjs; node scripts/attacks.mjs ;;
  attacks) setup; build_servers; node scripts/build-dist.mjs; node scripts/attacks.mjs ;;
  screenshots)
    setup; build_servers; node scripts/build-dist.mjs
    # CJK glyphs for the zh-CN screenshots.
    fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-noto-cjk
    node scripts/screenshots.mjs ;;
  *) sed -n '2,10p' "$0"; exit 2 ;;
esac
